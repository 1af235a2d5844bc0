//! opsdeck: a keyboard-driven console for publishing operations tasks to fleets of hosts.

pub mod model;
pub mod store;
pub mod config;
pub mod context;
pub mod backend;
pub mod engine;
pub mod exec;
