//! What front ends ask the engine for and show: task list filters, stored template versions, the secret mask.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{TaskState, Template};

/// What replaces a secret value wherever it would be shown or logged.
pub const MASK: &str = "******";

/// Which tasks a listing returns; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub states: Vec<TaskState>,
    pub submitter: Option<String>,
    pub limit: Option<usize>,
}

/// One stored version of a template, with the TOML it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredTemplate {
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub source: String,
    pub template: Template,
}
