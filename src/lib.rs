//! opsdeck: a keyboard-driven console for publishing operations tasks to fleets of hosts.

pub mod inventory;
pub mod model;
pub mod templates;
pub mod tomlpos;
