//! Team mode pieces: API tokens (the HTTP server and client come later).

pub mod auth;
