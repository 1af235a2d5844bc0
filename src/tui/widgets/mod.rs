//! Reusable console widgets.

pub mod field;
pub mod log_view;
