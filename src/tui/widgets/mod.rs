//! Reusable console widgets.

pub mod editor;
pub mod field;
pub mod line;
pub mod log_view;
