//! User-facing texts of the SQL syntax check, in English and Simplified Chinese.

use serde::Serialize;

use crate::model::Lang;

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
    Limit,
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
        MessageId::Limit => "refused before parsing",
    }
}

/// The Simplified Chinese text of a message.
pub fn messages_zh(id: MessageId) -> &'static str {
    match id {
        MessageId::Syntax => "语法错误",
        MessageId::Unverifiable => {
            "无法在本地验证（合法的 MySQL 语法，但离线解析器不支持）；将由服务器检查"
        }
        MessageId::DoubleColonCast => "`::` 类型转换是 PostgreSQL 语法；请使用 CAST(expr AS type)",
        MessageId::Placeholder => "参数占位符（$1、?、:name）只能用于预处理语句；请写出具体值",
        MessageId::Ilike => "MySQL 没有 ILIKE；在常用排序规则下 LIKE 本身就不区分大小写",
        MessageId::SelectTop => "SELECT TOP 是 SQL Server 语法；请使用 LIMIT n",
        MessageId::Qualify => "MySQL 没有 QUALIFY；请在外层查询中过滤窗口函数结果",
        MessageId::FetchFirst => "FETCH FIRST/NEXT … ROWS 不是 MySQL 语法；请使用 LIMIT n",
        MessageId::OffsetRows => "OFFSET … ROWS 不是 MySQL 语法；请使用 LIMIT n OFFSET m",
        MessageId::FullJoin => {
            "MySQL 没有 FULL [OUTER] JOIN（`a FULL JOIN b` 中 FULL 会被当作别名）；请用 LEFT JOIN UNION RIGHT JOIN"
        }
        MessageId::NullsOrder => {
            "NULLS FIRST/LAST 不是 MySQL 语法；请先按 `col IS NULL` 排序（升序时 NULL 排在最前）"
        }
        MessageId::Returning => "MySQL 没有 RETURNING 子句；请在之后再查询这些行",
        MessageId::OnConflict => {
            "ON CONFLICT 是 PostgreSQL 语法；请使用 INSERT … ON DUPLICATE KEY UPDATE"
        }
        MessageId::DistinctOn => "DISTINCT ON 是 PostgreSQL 语法；请使用 GROUP BY 或窗口函数",
        MessageId::Minus => "MINUS 是 Oracle 语法；请使用 EXCEPT（MySQL 8.0.31+、MariaDB 10.3+）",
        MessageId::UpdateFrom => {
            "UPDATE … FROM 不是 MySQL 语法；请使用多表形式 UPDATE a JOIN b ON … SET …"
        }
        MessageId::SquareBrackets => {
            "方括号不是 MySQL 语法（没有数组类型或下标；标识符请用反引号）"
        }
        MessageId::PostgresOnly => "不是 MySQL 语法（PostgreSQL / SQL Server）",
        MessageId::Limit => "超出限制，未解析",
    }
}

/// The message text in `lang` with its detail, as shown to the user.
pub fn render_in(id: MessageId, detail: &str, lang: Lang) -> String {
    let base = match lang {
        Lang::En => messages(id),
        Lang::Zh => messages_zh(id),
    };
    if detail.is_empty() {
        base.to_string()
    } else {
        format!("{base}: {detail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_texts_differ_from_english() {
        for id in [
            MessageId::Syntax,
            MessageId::Unverifiable,
            MessageId::FullJoin,
        ] {
            assert_ne!(messages(id), messages_zh(id));
        }
        assert_eq!(render_in(MessageId::Syntax, "x", Lang::Zh), "语法错误: x");
    }
}
