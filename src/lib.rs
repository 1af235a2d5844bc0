//! opsdeck: a keyboard-driven console for publishing operations tasks to fleets of hosts.

pub mod exec;
pub mod model;
