//! Plain domain types of opsdeck, with validation; no I/O.

pub mod catalog;
pub mod error;
pub mod inventory;
pub mod lang;
pub mod maintenance;
pub mod plan;
pub mod sql_audit;
pub mod sql_backup;
pub mod task;
pub mod template;
pub mod time;
pub mod user;
pub mod window;

pub use catalog::{MASK, StoredTemplate, TaskFilter};
pub use error::{FieldError, Invalid};
pub use inventory::{
    App, Connection, DEFAULT_MAX_UPDATE_ROWS, Database, DbRole, DbType, ExecUser, Host, Inventory,
    SqlVia, Tag,
};
pub use lang::Lang;
pub use task::{
    AuditEntry, Decision, HostGroups, LogLine, ModuleKind, StepRun, StepState, Stream, Task,
    TaskSpec, TaskState,
};
pub use template::{ArgDecl, BUILTIN_ARGS, Step, Template, Trigger};
pub use time::{ambiguity_note, fmt_local, parse_duration, parse_exec_time};
pub use user::{Role, User};
