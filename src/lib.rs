//! opsdeck: a keyboard-driven console for publishing operations tasks to fleets of hosts.

pub mod assets;
pub mod model;
