//! User-facing texts of the SQL toolkit, in one place so that a Chinese table can be added.

use serde::Serialize;

/// Identifies a diagnostic; serialised as its snake_case name for `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageId {
    Syntax,
    Unverifiable,
    DoubleColonCast,
    Placeholder,
    Ilike,
    SelectTop,
    Qualify,
    FetchFirst,
    OffsetRows,
    FullJoin,
    NullsOrder,
    Returning,
    OnConflict,
    DistinctOn,
    Minus,
    UpdateFrom,
    SquareBrackets,
    PostgresOnly,
}

/// The English text of a message. `detail` is appended where the message has a variable part
/// (the parser's own message, the construct that cannot be verified, …).
pub fn messages(id: MessageId) -> &'static str {
    match id {
        MessageId::Syntax => "syntax error",
        MessageId::Unverifiable => {
            "cannot be verified locally (valid MySQL that the offline parser does not understand); the server will check it"
        }
        MessageId::DoubleColonCast => "`::` casts are PostgreSQL syntax; use CAST(expr AS type)",
        MessageId::Placeholder => {
            "parameter placeholders ($1, ?, :name) only work in prepared statements; write the value"
        }
        MessageId::Ilike => {
            "MySQL has no ILIKE; LIKE is already case-insensitive with the usual collations"
        }
        MessageId::SelectTop => "SELECT TOP is SQL Server syntax; use LIMIT n",
        MessageId::Qualify => "MySQL has no QUALIFY; filter the window function in an outer query",
        MessageId::FetchFirst => "FETCH FIRST/NEXT … ROWS is not MySQL; use LIMIT n",
        MessageId::OffsetRows => "OFFSET … ROWS is not MySQL; use LIMIT n OFFSET m",
        MessageId::FullJoin => {
            "MySQL has no FULL [OUTER] JOIN (in `a FULL JOIN b` the word FULL is an alias); use a LEFT JOIN UNION a RIGHT JOIN"
        }
        MessageId::NullsOrder => {
            "NULLS FIRST/LAST is not MySQL; order by `col IS NULL` first (NULLs sort first in ASC order)"
        }
        MessageId::Returning => "MySQL has no RETURNING clause; select the rows afterwards",
        MessageId::OnConflict => "ON CONFLICT is PostgreSQL; use INSERT … ON DUPLICATE KEY UPDATE",
        MessageId::DistinctOn => "DISTINCT ON is PostgreSQL; use GROUP BY or a window function",
        MessageId::Minus => "MINUS is Oracle syntax; use EXCEPT (MySQL 8.0.31+, MariaDB 10.3+)",
        MessageId::UpdateFrom => {
            "UPDATE … FROM is not MySQL; use the multi-table form UPDATE a JOIN b ON … SET …"
        }
        MessageId::SquareBrackets => {
            "square brackets are not MySQL (no array types or subscripts; quote identifiers with backticks)"
        }
        MessageId::PostgresOnly => "not MySQL syntax (PostgreSQL / SQL Server)",
    }
}

/// The message text with its detail, as shown to the user.
pub fn render(id: MessageId, detail: &str) -> String {
    let base = messages(id);
    if detail.is_empty() {
        base.to_string()
    } else {
        format!("{base}: {detail}")
    }
}
