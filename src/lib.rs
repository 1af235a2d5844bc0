//! opsdeck: a keyboard-driven console for publishing operations tasks to fleets of hosts.

pub mod api;
pub mod assets;
pub mod backend;
pub mod config;
pub mod context;
pub mod daemon;
pub mod engine;
pub mod exec;
pub mod inventory;
pub mod metrics;
pub mod model;
pub mod modules;
pub mod sql;
pub mod sqlaudit;
pub mod store;
pub mod templates;
pub mod text;
pub mod tomlpos;
pub mod tui;
