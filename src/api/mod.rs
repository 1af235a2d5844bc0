//! Team mode: the `opsdeck serve` HTTP API (axum), its client (`RemoteBackend`), API tokens, webhooks
//! and CMDB import.

pub mod auth;
mod backend_error;
pub mod client;
pub mod error;
pub mod extract;
pub mod heavy;
pub mod mask;
pub mod openapi;
pub mod routes;
pub mod server;
pub mod unix;
pub mod webhook;
