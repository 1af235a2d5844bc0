//! Execution layer: runs rendered step commands on hosts and streams their output line by line.

pub mod error;
pub mod output;
pub mod ssh;

pub use error::ExecError;
pub use output::{LineSplitter, MAX_LINE_BYTES, OutputChunk, OutputStream, RunOutcome};
