//! Reusable console widgets.

pub mod log_view;
