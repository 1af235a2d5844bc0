//! MySQL toolkit for the SQL audit and optimize modules: statement splitting, syntax check with a
//! MySQL strictness layer, fingerprints, slow log digest, beautify, SOAR score and index advice. Pure: no I/O, no async.

pub mod advise;
mod body;
pub mod check;
#[cfg(test)]
mod deep_stack_tests;
pub mod digest;
pub mod fingerprint;
pub mod format;
mod handchecked;
pub mod limits;
mod md5;
pub mod messages;
pub mod score;
pub mod slowlog;
pub mod split;
pub mod stream;
mod strict;
pub(crate) mod tokens;
mod unverifiable;

pub use check::{CheckReport, CheckedStatement, Diagnostic, Status, check, check_in};
pub use fingerprint::{Fingerprinter, fingerprint, query_id};
pub use format::{format, format_statement};
pub use messages::{MessageId, messages};
pub use split::{Position, SplitStatement, split};
pub use stream::StatementReader;
