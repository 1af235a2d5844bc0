//! MySQL toolkit for the SQL audit and optimize modules: statement splitting, syntax check with a
//! MySQL strictness layer, and fingerprints. Pure: no I/O, no async.

pub mod split;

pub use split::{Position, SplitStatement, split};
