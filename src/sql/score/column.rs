//! COL.* score rules: columns (SELECT *, INSERT column lists, and column definitions of
//! CREATE TABLE and ALTER TABLE ADD/MODIFY/CHANGE COLUMN).

use sqlparser::ast::{
    AlterTableOperation, BinaryLength, CharacterLength, ColumnOption, DataType, Expr, Ident,
    SelectItem, Spanned, Statement, Value,
};
use sqlparser::tokenizer::Token;

use super::arg::string_value;
use super::rule::{Ctx, Hit, Rule, Text};
use super::walk::{each_select, unnest};
use crate::sql::tokens::word;

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "COL.001",
        level: 1,
        summary: Text {
            en: "SELECT *",
            zh: "不建议使用 SELECT * 类型查询",
        },
        explain: Text {
            en: "With `*` the result changes whenever the table changes: new columns are fetched and sent for nothing, and code that relies on column order breaks. List the columns you need.",
            zh: "当表结构变更时，使用 * 通配符选择所有列将导致查询的含义和行为会发生更改，可能导致查询返回更多的数据。请明确列出需要的列。",
        },
        check: Some(select_star),
    },
    Rule {
        id: "COL.002",
        level: 2,
        summary: Text {
            en: "INSERT/REPLACE without a column list",
            zh: "INSERT/REPLACE 未指定列名",
        },
        explain: Text {
            en: "Without a column list the values are matched to the columns by position, so the statement breaks or writes the wrong columns as soon as the table changes. Write `INSERT INTO tbl (col1, col2) VALUES ...`.",
            zh: "当表结构发生变更，如果 INSERT 或 REPLACE 请求不明确指定列名，请求的结果将会与预想的不同; 建议使用 “INSERT INTO tbl(col1，col2)VALUES ...” 代替。",
        },
        check: Some(insert_without_columns),
    },
    Rule {
        id: "COL.003",
        level: 2,
        summary: Text {
            en: "auto-increment column should be UNSIGNED",
            zh: "建议修改自增 ID 为无符号类型",
        },
        explain: Text {
            en: "An AUTO_INCREMENT id never goes negative, so a signed type wastes half of its range and overflows twice as early. Declare it `INT UNSIGNED` or `BIGINT UNSIGNED`.",
            zh: "自增 ID 不会出现负数，有符号类型浪费了一半的取值范围，会提前溢出。建议修改自增 ID 为无符号类型（INT UNSIGNED 或 BIGINT UNSIGNED）。",
        },
        check: Some(auto_increment_signed),
    },
    Rule {
        id: "COL.004",
        level: 1,
        summary: Text {
            en: "column without DEFAULT",
            zh: "请为列添加默认值",
        },
        explain: Text {
            en: "Give every column a default; in an ALTER, do not forget to repeat the column's existing default. Without a default, online schema changes on large tables are harder and inserts that omit the column fail or store NULL.",
            zh: "请为列添加默认值，如果是 ALTER 操作，请不要忘记将原字段的默认值写上。字段无默认值，当表较大时无法在线变更表结构。",
        },
        check: Some(no_default),
    },
    Rule {
        id: "COL.005",
        level: 1,
        summary: Text {
            en: "column without comment",
            zh: "列未添加注释",
        },
        explain: Text {
            en: "A COMMENT on each column documents what it means and how it is used, in the schema itself. Add `COMMENT '...'` to the column definition.",
            zh: "建议对表中每个列添加注释，来明确每个列在表中的含义及作用。",
        },
        check: Some(no_comment),
    },
    Rule {
        id: "COL.006",
        level: 3,
        summary: Text {
            en: "too many columns in one table",
            zh: "表中包含有太多的列",
        },
        explain: Text {
            en: "A very wide table has large rows, fewer rows per page and usually mixes unrelated data. Split rarely used or large columns into a separate table keyed by the primary key.",
            zh: "表中包含有太多的列，行过宽会降低每页可存放的行数并且通常混合了不相关的数据。建议将不常用或较大的列拆分到以主键关联的独立表中。",
        },
        check: Some(too_many_columns),
    },
    Rule {
        id: "COL.007",
        level: 3,
        summary: Text {
            en: "too many TEXT/BLOB columns in one table",
            zh: "表中包含有太多的 text/blob 列",
        },
        explain: Text {
            en: "Each TEXT/BLOB value may be stored off-page and forces on-disk temporary tables in sorts and GROUP BY. Keep large values in a separate table keyed by the primary key.",
            zh: "表中包含过多的 text/blob 列，这些值可能存储在页外，排序和分组时会使用磁盘临时表。建议将大字段拆分到以主键关联的独立表中。",
        },
        check: Some(too_many_text_columns),
    },
    Rule {
        id: "COL.008",
        level: 1,
        summary: Text {
            en: "prefer VARCHAR/VARBINARY over CHAR/BINARY",
            zh: "可使用 VARCHAR 代替 CHAR， VARBINARY 代替 BINARY",
        },
        explain: Text {
            en: "Variable-length types store only the bytes used, which saves space, and searching a smaller field is faster. Use CHAR/BINARY only for values of truly fixed length.",
            zh: "为首先变长字段存储空间小，可以节省存储空间。其次对于查询来说，在一个相对较小的字段内搜索效率显然要高些。",
        },
        check: Some(fixed_char),
    },
    Rule {
        id: "COL.009",
        level: 2,
        summary: Text {
            en: "use exact numeric types instead of FLOAT/DOUBLE",
            zh: "建议使用精确的数据类型",
        },
        explain: Text {
            en: "FLOAT, REAL and DOUBLE are approximate: sums and comparisons drift, which is wrong for money and counts. Use DECIMAL (NUMERIC) with the precision you need, or an integer of the smallest unit.",
            zh: "实际上，任何使用 FLOAT, REAL 或 DOUBLE PRECISION 数据类型的设计都有可能是反模式。在计算总量时，非精确浮点数所积累的影响是严重的。使用 SQL 中的 NUMERIC 或 DECIMAL 类型来代替 FLOAT 及其类似的数据类型进行固定精度的小数存储。尽可能不要使用浮点数。",
        },
        check: Some(imprecise_type),
    },
    Rule {
        id: "COL.010",
        level: 2,
        summary: Text {
            en: "ENUM/SET/BIT column type",
            zh: "不建议使用 ENUM 数据类型",
        },
        explain: Text {
            en: "ENUM/SET store ordinals: they sort by definition order, and adding or removing a value needs an ALTER TABLE. Put the allowed values in a lookup table and reference it (or validate in the application).",
            zh: "ENUM 定义了列中值的类型，实际存储在列中的数据是这些值在定义时的序数，排序结果按序数而不是字符串排序。没有什么语法支持从 ENUM 中添加或删除一个值，您只能重新定义这一列。更好的方案是创建一张检查表，每一行包含一个允许在列中出现的候选值，然后在旧表上引用它。",
        },
        check: Some(enum_set_bit),
    },
    Rule {
        id: "COL.011",
        level: 0,
        summary: Text {
            en: "NULL or NOT NULL: use NULL only where a value can be missing",
            zh: "当需要唯一约束时才使用 NULL，仅当列不能有缺失值时才使用 NOT NULL",
        },
        explain: Text {
            en: "NULL is not 0, not '' and not FALSE: 10 * NULL is NULL, 'a' || NULL is NULL, and AND/OR/NOT with NULL surprise many people. Declare a column NOT NULL when every row must have a meaningful value, and use NULL only for a really missing value.",
            zh: "NULL 和0是不同的，10乘以 NULL 还是 NULL。NULL 和空字符串是不一样的。将一个字符串和标准 SQL 中的 NULL 联合起来的结果还是 NULL。NULL 和 FALSE 也是不同的。AND、OR 和 NOT 这三个布尔操作如果涉及 NULL，其结果也让很多人感到困惑。当您将一列声明为 NOT NULL 时，也就是说这列中的每一个值都必须存在且是有意义的。使用 NULL 来表示任意类型不存在的空值。",
        },
        check: Some(null_usage),
    },
    Rule {
        id: "COL.012",
        level: 5,
        summary: Text {
            en: "TEXT/BLOB/JSON column declared NOT NULL",
            zh: "BLOB 和 TEXT 类型的字段不建议设置为 NOT NULL",
        },
        explain: Text {
            en: "TEXT, BLOB and JSON columns cannot have a non-NULL default, so with NOT NULL every insert that omits the column fails. Leave them nullable.",
            zh: "BLOB 和 TEXT 类型的字段无法指定非 NULL 的默认值，如果添加了 NOT NULL 限制，写入数据时又未对该字段指定值可能导致写入失败。",
        },
        check: Some(text_not_null),
    },
    Rule {
        id: "COL.013",
        level: 4,
        summary: Text {
            en: "TIMESTAMP default missing or abnormal",
            zh: "TIMESTAMP 类型默认值检查异常",
        },
        explain: Text {
            en: "Give a TIMESTAMP column an explicit default (e.g. CURRENT_TIMESTAMP); 0 or '0000-00-00 00:00:00' is rejected in strict mode (NO_ZERO_DATE) and is not a real time. Use a valid date such as '1970-01-02 00:00:00' if you need a sentinel.",
            zh: "TIMESTAMP 类型建议设置默认值，且不建议使用 0 或 0000-00-00 00:00:00 作为默认值。可以考虑使用 1970-08-02 01:01:01",
        },
        check: Some(timestamp_default),
    },
    Rule {
        id: "COL.014",
        level: 5,
        summary: Text {
            en: "character set or collation set on a column",
            zh: "为列指定了字符集",
        },
        explain: Text {
            en: "A column with its own CHARACTER SET/COLLATE differs from the rest of the table, which causes conversions and unusable indexes in joins and comparisons. Set the charset on the table and let columns inherit it.",
            zh: "建议列与表使用同一个字符集，不要单独指定列的字符集。",
        },
        check: Some(column_charset),
    },
    Rule {
        id: "COL.015",
        level: 4,
        summary: Text {
            en: "TEXT/BLOB/JSON column with a non-NULL default",
            zh: "TEXT 和 BLOB 类型的字段不可指定非 NULL 的默认值",
        },
        explain: Text {
            en: "MySQL does not allow a literal non-NULL default for TEXT, BLOB or JSON columns (8.0.13+ only accepts an expression default). Drop the default or use DEFAULT NULL.",
            zh: "MySQL 数据库中 TEXT 和 BLOB 类型的字段不可指定非 NULL 的默认值。TEXT最大长度为2^16-1个字符，MEDIUMTEXT最大长度为2^32-1个字符，LONGTEXT最大长度为2^64-1个字符。",
        },
        check: Some(text_default),
    },
    Rule {
        id: "COL.016",
        level: 1,
        summary: Text {
            en: "integer display width: use INT(10) or BIGINT(20)",
            zh: "整型定义建议采用 INT(10) 或 BIGINT(20)",
        },
        explain: Text {
            en: "In INT(M) the M is only a display width: INT(3) and INT(8) both take 4 bytes and hold the same range, and MySQL 8.0 deprecates it. Write INT(10)/INT(11), BIGINT(20), or no width at all.",
            zh: "INT(M) 在 integer 数据类型中，M 表示最大显示宽度。 在 INT(M) 中，M 的值跟 INT(M) 所占多少存储空间并无任何关系。 INT(3)、INT(4)、INT(8) 在磁盘上都是占用 4 bytes 的存储空间。高版本 MySQL 已经不推荐设置整数显示宽度。",
        },
        check: Some(int_width),
    },
    Rule {
        id: "COL.017",
        level: 2,
        summary: Text {
            en: "VARCHAR length too long",
            zh: "VARCHAR 定义长度过长",
        },
        explain: Text {
            en: "VARCHAR is variable length and allocates nothing in advance, but very long VARCHARs bloat rows, memory temporary tables and index prefixes. Keep it within the configured maximum; store longer text in a TEXT column of a separate table keyed by the primary key.",
            zh: "varchar 是可变长字符串，不预先分配存储空间，长度不要超过配置的最大值（默认1024），如果存储长度过长 MySQL 将定义字段类型为 text，独立出来一张表，用主键来对应，避免影响其它字段索引效率。",
        },
        check: Some(varchar_too_long),
    },
    Rule {
        id: "COL.018",
        level: 9,
        summary: Text {
            en: "column type that is not allowed",
            zh: "建表语句中使用了不推荐的字段类型",
        },
        explain: Text {
            en: "The column uses a type the configuration disallows (column_not_allow_type, by default BOOLEAN, which MySQL silently turns into TINYINT(1)). Use an allowed type, e.g. TINYINT UNSIGNED.",
            zh: "以下字段类型不被推荐使用：配置项 column_not_allow_type 中列出的类型（默认 boolean，MySQL 会将其静默转为 TINYINT(1)）。请改用允许的类型，如 TINYINT UNSIGNED。",
        },
        check: Some(type_not_allowed),
    },
    Rule {
        id: "COL.019",
        level: 1,
        summary: Text {
            en: "sub-second time precision",
            zh: "不建议使用精度在秒级以下的时间数据类型",
        },
        explain: Text {
            en: "TIME(n)/DATETIME(n)/TIMESTAMP(n) with fractional seconds take more space, and only MySQL 5.6.4+ supports them, which matters for replication and migration. Use whole seconds unless you really need the precision.",
            zh: "使用高精度的时间数据类型带来的存储空间消耗相对较大；MySQL 在5.6.4以上才可以支持精确到微秒的时间数据类型，使用时需要考虑版本兼容问题。",
        },
        check: Some(sub_second_time),
    },
];

/// One column definition of a CREATE TABLE or ALTER TABLE ADD/MODIFY/CHANGE COLUMN.
pub(super) struct ColDef<'a> {
    pub name: &'a Ident,
    pub ty: &'a DataType,
    pub opts: Vec<&'a ColumnOption>,
}

impl ColDef<'_> {
    fn hit(&self) -> Hit {
        Hit::span(self.name.span).with(self.name.value.clone())
    }

    fn has(&self, pred: impl Fn(&ColumnOption) -> bool) -> bool {
        self.opts.iter().any(|o| pred(o))
    }

    pub(super) fn auto_increment(&self) -> bool {
        self.has(|o| match o {
            ColumnOption::DialectSpecific(toks) => toks.iter().any(
                |t| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTO_INCREMENT")),
            ),
            _ => false,
        })
    }

    fn default(&self) -> Option<&Expr> {
        self.opts.iter().find_map(|o| match o {
            ColumnOption::Default(e) => Some(e),
            _ => None,
        })
    }
}

/// The column definitions of a CREATE TABLE, or the added/modified/changed columns of an ALTER TABLE.
pub(super) fn column_defs(stmt: &Statement) -> Vec<ColDef<'_>> {
    match stmt {
        Statement::CreateTable(ct) => ct
            .columns
            .iter()
            .map(|c| ColDef {
                name: &c.name,
                ty: &c.data_type,
                opts: c.options.iter().map(|o| &o.option).collect(),
            })
            .collect(),
        Statement::AlterTable(at) => at
            .operations
            .iter()
            .filter_map(|op| match op {
                AlterTableOperation::AddColumn { column_def: c, .. } => Some(ColDef {
                    name: &c.name,
                    ty: &c.data_type,
                    opts: c.options.iter().map(|o| &o.option).collect(),
                }),
                AlterTableOperation::ModifyColumn {
                    col_name: name,
                    data_type,
                    options,
                    ..
                }
                | AlterTableOperation::ChangeColumn {
                    new_name: name,
                    data_type,
                    options,
                    ..
                } => Some(ColDef {
                    name,
                    ty: data_type,
                    opts: options.iter().collect(),
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Hits at every defined column of the statement for which `pred` holds.
fn columns_where(c: &Ctx, pred: impl Fn(&ColDef) -> bool) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    column_defs(stmt)
        .iter()
        .filter(|d| pred(d))
        .map(ColDef::hit)
        .collect()
}

fn is_text_blob(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Text
            | DataType::TinyText
            | DataType::MediumText
            | DataType::LongText
            | DataType::Blob(_)
            | DataType::TinyBlob
            | DataType::MediumBlob
            | DataType::LongBlob
    )
}

fn is_text_blob_json(ty: &DataType) -> bool {
    is_text_blob(ty) || matches!(ty, DataType::JSON)
}

fn is_unsigned(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::TinyIntUnsigned(_)
            | DataType::SmallIntUnsigned(_)
            | DataType::MediumIntUnsigned(_)
            | DataType::IntUnsigned(_)
            | DataType::IntegerUnsigned(_)
            | DataType::Int2Unsigned(_)
            | DataType::Int4Unsigned(_)
            | DataType::Int8Unsigned(_)
            | DataType::BigIntUnsigned(_)
            | DataType::DecimalUnsigned(_)
            | DataType::DecUnsigned(_)
            | DataType::FloatUnsigned(_)
            | DataType::DoubleUnsigned(_)
            | DataType::RealUnsigned
            | DataType::DoublePrecisionUnsigned
            | DataType::Unsigned
            | DataType::UnsignedInteger
    )
}

/// The base name of a type, lower case: `varchar` for `VARCHAR(10)`, `int` for `INT UNSIGNED`.
fn type_base(ty: &DataType) -> String {
    let s = ty.to_string().to_lowercase();
    s.split(['(', ' ']).next().unwrap_or_default().to_string()
}

fn is_null_literal(e: &Expr) -> bool {
    matches!(unnest(e), Expr::Value(v) if v.value == Value::Null)
}

/// COL.001: `*` or `t.*` in a select list (`COUNT(*)` is not a select-list wildcard).
fn select_star(c: &Ctx) -> Vec<Hit> {
    let Some(stmt) = c.ast else {
        return Vec::new();
    };
    let mut out = Vec::new();
    each_select(stmt, |s, _| {
        for item in &s.projection {
            match item {
                SelectItem::Wildcard(o) | SelectItem::QualifiedWildcard(_, o) => {
                    out.push(Hit::span(o.wildcard_token.0.span).with(item.to_string()));
                }
                _ => {}
            }
        }
    });
    super::arg::dedup(out)
}

/// COL.002: INSERT/REPLACE without a column list (the `INSERT ... SET` form names its columns).
fn insert_without_columns(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Insert(ins)) = c.ast else {
        return Vec::new();
    };
    if !ins.columns.is_empty() || !ins.assignments.is_empty() {
        return Vec::new();
    }
    vec![Hit::span(ins.insert_token.0.span).with(ins.table.to_string())]
}

/// COL.003: an AUTO_INCREMENT column of a signed type.
fn auto_increment_signed(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| d.auto_increment() && !is_unsigned(d.ty))
}

/// COL.004: a column without DEFAULT (AUTO_INCREMENT and generated columns need none).
fn no_default(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        d.default().is_none()
            && !d.auto_increment()
            && !d.has(|o| matches!(o, ColumnOption::Generated { .. }))
    })
}

/// COL.005: a column without COMMENT.
fn no_comment(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| !d.has(|o| matches!(o, ColumnOption::Comment(_))))
}

/// COL.006: CREATE TABLE with more than `max_col_count` columns.
fn too_many_columns(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::CreateTable(ct)) = c.ast else {
        return Vec::new();
    };
    let n = ct.columns.len();
    if n <= c.opts.max_col_count {
        return Vec::new();
    }
    vec![Hit::span(ct.name.span()).with(format!("{n} columns"))]
}

/// COL.007: CREATE TABLE with more than `max_text_cols_count` TEXT/BLOB columns.
fn too_many_text_columns(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::CreateTable(ct)) = c.ast else {
        return Vec::new();
    };
    let n = ct
        .columns
        .iter()
        .filter(|c| is_text_blob(&c.data_type))
        .count();
    if n <= c.opts.max_text_cols_count {
        return Vec::new();
    }
    vec![Hit::span(ct.name.span()).with(format!("{n} TEXT/BLOB columns"))]
}

/// COL.008: CHAR or BINARY columns.
fn fixed_char(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        matches!(
            d.ty,
            DataType::Char(_) | DataType::Character(_) | DataType::Binary(_)
        )
    })
}

/// COL.009: FLOAT, REAL, DOUBLE columns.
fn imprecise_type(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        matches!(
            d.ty,
            DataType::Float(_)
                | DataType::FloatUnsigned(_)
                | DataType::Float4
                | DataType::Float8
                | DataType::Float32
                | DataType::Float64
                | DataType::Real
                | DataType::RealUnsigned
                | DataType::Double(_)
                | DataType::DoubleUnsigned(_)
                | DataType::DoublePrecision
                | DataType::DoublePrecisionUnsigned
        )
    })
}

/// COL.010: ENUM, SET or BIT columns.
fn enum_set_bit(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        matches!(
            d.ty,
            DataType::Enum(..) | DataType::Set(_) | DataType::Bit(_)
        )
    })
}

/// COL.011: the first NULL keyword of the statement (SOAR gives this reminder on any NULL).
fn null_usage(c: &Ctx) -> Vec<Hit> {
    c.toks
        .iter()
        .find(|t| word(t).as_deref() == Some("NULL"))
        .map(|t| vec![Hit::tok(t)])
        .unwrap_or_default()
}

/// COL.012: TEXT/BLOB/JSON column declared NOT NULL.
fn text_not_null(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        is_text_blob_json(d.ty) && d.has(|o| matches!(o, ColumnOption::NotNull))
    })
}

/// True for `0`, `'0'`, `'0000-00-00'`, `'0000-00-00 00:00:00'` and the like.
fn zero_time(e: &Expr) -> bool {
    let s = match unnest(e) {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.clone(),
            _ => string_value(e).unwrap_or("x").to_string(),
        },
        _ => return false,
    };
    !s.is_empty()
        && s.chars()
            .all(|ch| matches!(ch, '0' | '-' | ':' | ' ' | '.'))
}

/// COL.013: TIMESTAMP column without DEFAULT, or with a zero default.
fn timestamp_default(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        matches!(d.ty, DataType::Timestamp(..))
            && match d.default() {
                None => true,
                Some(e) => zero_time(e),
            }
    })
}

/// COL.014: CHARACTER SET or COLLATE on a column.
fn column_charset(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        d.has(|o| {
            matches!(
                o,
                ColumnOption::CharacterSet(_) | ColumnOption::Collation(_)
            )
        })
    })
}

/// COL.015: TEXT/BLOB/JSON column with a DEFAULT other than NULL.
fn text_default(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| {
        is_text_blob_json(d.ty) && d.default().is_some_and(|e| !is_null_literal(e))
    })
}

/// COL.016: INT(M) with M not 10 or 11, BIGINT(M) with M not 20.
fn int_width(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| match d.ty {
        DataType::Int(Some(m))
        | DataType::Integer(Some(m))
        | DataType::IntUnsigned(Some(m))
        | DataType::IntegerUnsigned(Some(m)) => !(10..=11).contains(m),
        DataType::BigInt(Some(m)) | DataType::BigIntUnsigned(Some(m)) => *m != 20,
        _ => false,
    })
}

/// COL.017: VARCHAR/VARBINARY longer than `max_varchar_length`.
fn varchar_too_long(c: &Ctx) -> Vec<Hit> {
    let max = c.opts.max_varchar_length;
    columns_where(c, |d| {
        let len = match d.ty {
            DataType::Varchar(Some(CharacterLength::IntegerLength { length, .. }))
            | DataType::Nvarchar(Some(CharacterLength::IntegerLength { length, .. }))
            | DataType::CharVarying(Some(CharacterLength::IntegerLength { length, .. }))
            | DataType::CharacterVarying(Some(CharacterLength::IntegerLength { length, .. }))
            | DataType::Varbinary(Some(BinaryLength::IntegerLength { length })) => *length,
            _ => 0,
        };
        len > max
    })
}

/// COL.018: a column type listed in `column_not_allow_type` (BOOL and BOOLEAN are the same type).
fn type_not_allowed(c: &Ctx) -> Vec<Hit> {
    let denied: Vec<String> = c
        .opts
        .column_not_allow_type
        .iter()
        .map(|t| t.trim().to_lowercase())
        .collect();
    let canon = |t: &str| {
        if t == "bool" {
            "boolean".to_string()
        } else {
            t.to_string()
        }
    };
    columns_where(c, |d| {
        let base = canon(&type_base(d.ty));
        denied.iter().any(|t| canon(t) == base)
    })
}

/// COL.019: TIME(n), DATETIME(n) or TIMESTAMP(n) with n > 0.
fn sub_second_time(c: &Ctx) -> Vec<Hit> {
    columns_where(c, |d| match d.ty {
        DataType::Time(Some(n), _)
        | DataType::Datetime(Some(n))
        | DataType::Timestamp(Some(n), _) => *n > 0,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::ScoreOptions;
    use super::super::testutil::{assert_rule, hits, hits_with};

    #[test]
    fn col_001_select_star() {
        assert_rule(
            "COL.001",
            &[
                "SELECT * FROM tbl WHERE id = 1",
                "SELECT t.* FROM t WHERE id = 1",
                "SELECT a FROM t WHERE id IN (SELECT * FROM u)",
            ],
            &[
                "SELECT COUNT(*) FROM tbl WHERE id = 1",
                "SELECT a, b FROM tbl",
                "SELECT 2 * 3",
            ],
        );
        let h = hits("COL.001", "SELECT a,\n  * FROM t");
        assert_eq!(h[0].at, Some((2, 3)));
    }

    #[test]
    fn col_002_insert_without_columns() {
        assert_rule(
            "COL.002",
            &[
                "INSERT INTO tbl VALUES (1, 'name')",
                "REPLACE INTO tbl VALUES (1, 'name')",
                "INSERT INTO tbl SELECT * FROM u",
            ],
            &[
                "INSERT INTO tbl (id, name) VALUES (1, 'name')",
                "INSERT INTO tbl SET id = 1, name = 'x'",
            ],
        );
        assert_eq!(
            hits("COL.002", "INSERT INTO t VALUES (1)")[0].at,
            Some((1, 1))
        );
    }

    #[test]
    fn col_003_auto_increment_unsigned() {
        assert_rule(
            "COL.003",
            &[
                "CREATE TABLE test (`id` int(11) NOT NULL AUTO_INCREMENT, PRIMARY KEY (id))",
                "ALTER TABLE t ADD COLUMN id BIGINT AUTO_INCREMENT",
            ],
            &[
                "CREATE TABLE test (id INT UNSIGNED NOT NULL AUTO_INCREMENT, PRIMARY KEY (id))",
                "CREATE TABLE test (id INT NOT NULL)",
            ],
        );
        let h = hits("COL.003", "CREATE TABLE t (a INT, id INT AUTO_INCREMENT)");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].at, Some((1, 24)));
        assert_eq!(h[0].detail.as_deref(), Some("id"));
    }

    #[test]
    fn col_004_no_default() {
        assert_rule(
            "COL.004",
            &[
                "CREATE TABLE tbl (col int) ENGINE=InnoDB",
                "ALTER TABLE tbl ADD COLUMN col INT NOT NULL",
                "ALTER TABLE tbl MODIFY col INT NOT NULL",
            ],
            &[
                "CREATE TABLE tbl (id INT UNSIGNED AUTO_INCREMENT, col INT NOT NULL DEFAULT 0)",
                "ALTER TABLE tbl ADD COLUMN col INT DEFAULT NULL",
                "ALTER TABLE tbl DROP COLUMN col",
                "SELECT a FROM t",
            ],
        );
    }

    #[test]
    fn col_005_no_comment() {
        assert_rule(
            "COL.005",
            &[
                "CREATE TABLE tbl (col int) ENGINE=InnoDB",
                "ALTER TABLE tbl ADD col INT DEFAULT 0",
            ],
            &[
                "CREATE TABLE tbl (col int COMMENT 'the col') ENGINE=InnoDB",
                "ALTER TABLE tbl ADD INDEX idx_a (a)",
            ],
        );
    }

    #[test]
    fn col_006_too_many_columns() {
        let cols: Vec<String> = (0..41).map(|i| format!("c{i} INT")).collect();
        let wide = format!("CREATE TABLE t ({})", cols.join(", "));
        assert_rule("COL.006", &[&wide], &["CREATE TABLE t (a INT, b INT)"]);
        let opts = ScoreOptions {
            max_col_count: 1,
            ..ScoreOptions::default()
        };
        let h = hits_with("COL.006", "CREATE TABLE t (a INT, b INT)", &opts);
        assert_eq!(h[0].at, Some((1, 14)));
        assert_eq!(h[0].detail.as_deref(), Some("2 columns"));
    }

    #[test]
    fn col_007_too_many_text_columns() {
        assert_rule(
            "COL.007",
            &["CREATE TABLE t (a TEXT, b BLOB, c LONGTEXT)"],
            &["CREATE TABLE t (a TEXT, b BLOB, c VARCHAR(10))"],
        );
        let opts = ScoreOptions {
            max_text_cols_count: 3,
            ..ScoreOptions::default()
        };
        assert!(
            hits_with(
                "COL.007",
                "CREATE TABLE t (a TEXT, b BLOB, c LONGTEXT)",
                &opts
            )
            .is_empty()
        );
    }

    #[test]
    fn col_008_char_binary() {
        assert_rule(
            "COL.008",
            &[
                "CREATE TABLE t1 (id int, name char(20), last_time date)",
                "ALTER TABLE t1 ADD COLUMN h BINARY(16)",
            ],
            &["CREATE TABLE t1 (id int, name varchar(20), h VARBINARY(16))"],
        );
    }

    #[test]
    fn col_009_imprecise() {
        assert_rule(
            "COL.009",
            &[
                "CREATE TABLE tab2 (p_id BIGINT UNSIGNED NOT NULL, hours float not null)",
                "ALTER TABLE t ADD COLUMN d DOUBLE",
                "CREATE TABLE t (r REAL)",
            ],
            &["CREATE TABLE t (price DECIMAL(10, 2), n INT)"],
        );
    }

    #[test]
    fn col_010_enum_set_bit() {
        assert_rule(
            "COL.010",
            &[
                "CREATE TABLE tab1 (status ENUM('new','in progress','fixed'))",
                "CREATE TABLE tab1 (s SET('a','b'))",
                "ALTER TABLE tab1 ADD COLUMN f BIT(1)",
            ],
            &["CREATE TABLE tab1 (status TINYINT UNSIGNED)"],
        );
    }

    #[test]
    fn col_011_null_usage() {
        assert_rule(
            "COL.011",
            &[
                "SELECT c1 FROM tbl WHERE c4 IS NULL OR c4 <> 1",
                "CREATE TABLE t (a INT NOT NULL)",
            ],
            &["SELECT c1 FROM tbl WHERE c4 = 'NULL'"],
        );
        assert_eq!(
            hits("COL.011", "SELECT a FROM t WHERE b IS NULL OR c IS NULL").len(),
            1
        );
    }

    #[test]
    fn col_012_text_not_null() {
        assert_rule(
            "COL.012",
            &[
                "CREATE TABLE `tb` (`c` longblob NOT NULL)",
                "ALTER TABLE tb ADD COLUMN j JSON NOT NULL",
            ],
            &[
                "CREATE TABLE tb (c longblob)",
                "CREATE TABLE tb (c VARCHAR(10) NOT NULL)",
            ],
        );
    }

    #[test]
    fn col_013_timestamp_default() {
        assert_rule(
            "COL.013",
            &[
                "CREATE TABLE tbl (`id` bigint not null, `create_time` timestamp)",
                "CREATE TABLE tbl (t TIMESTAMP NOT NULL DEFAULT '0000-00-00 00:00:00')",
                "ALTER TABLE tbl ADD COLUMN t TIMESTAMP DEFAULT 0",
            ],
            &[
                "CREATE TABLE tbl (t TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
                "CREATE TABLE tbl (t TIMESTAMP NULL DEFAULT NULL)",
                "CREATE TABLE tbl (t DATETIME)",
            ],
        );
    }

    #[test]
    fn col_014_column_charset() {
        assert_rule(
            "COL.014",
            &[
                "CREATE TABLE `tb2` (`id` int(11) DEFAULT NULL, `col` char(10) CHARACTER SET utf8 DEFAULT NULL)",
                "ALTER TABLE tb2 ADD COLUMN c VARCHAR(10) COLLATE utf8mb4_bin",
            ],
            &["CREATE TABLE tb2 (col char(10) DEFAULT NULL) DEFAULT CHARSET = utf8mb4"],
        );
    }

    #[test]
    fn col_015_text_default() {
        assert_rule(
            "COL.015",
            &[
                "CREATE TABLE `tbl` (`c` blob NOT NULL DEFAULT '')",
                "ALTER TABLE tbl ADD COLUMN t TEXT DEFAULT 'x'",
            ],
            &[
                "CREATE TABLE `tbl` (`c` blob DEFAULT NULL)",
                "CREATE TABLE tbl (c VARCHAR(10) DEFAULT '')",
            ],
        );
    }

    #[test]
    fn col_016_int_width() {
        assert_rule(
            "COL.016",
            &[
                "CREATE TABLE tab (a INT(1))",
                "CREATE TABLE tab (a BIGINT(11))",
                "ALTER TABLE tab ADD COLUMN b INT(3) UNSIGNED",
            ],
            &["CREATE TABLE tab (a INT(10), b INT(11), c BIGINT(20), d INT, e TINYINT(1))"],
        );
    }

    #[test]
    fn col_017_varchar_length() {
        assert_rule(
            "COL.017",
            &[
                "CREATE TABLE tab (a varchar(3500))",
                "ALTER TABLE tab MODIFY a VARCHAR(2000)",
            ],
            &["CREATE TABLE tab (a varchar(1024))"],
        );
        let opts = ScoreOptions {
            max_varchar_length: 4000,
            ..ScoreOptions::default()
        };
        assert!(hits_with("COL.017", "CREATE TABLE tab (a varchar(3500))", &opts).is_empty());
    }

    #[test]
    fn col_018_type_not_allowed() {
        assert_rule(
            "COL.018",
            &[
                "CREATE TABLE tab (a BOOLEAN)",
                "ALTER TABLE tab ADD COLUMN b BOOL",
            ],
            &["CREATE TABLE tab (a TINYINT(1))"],
        );
        let opts = ScoreOptions {
            column_not_allow_type: vec!["text".into(), "enum".into()],
            ..ScoreOptions::default()
        };
        assert_eq!(
            hits_with(
                "COL.018",
                "CREATE TABLE t (a TEXT, b BOOLEAN, c ENUM('x'))",
                &opts
            )
            .len(),
            2
        );
    }

    #[test]
    fn col_019_sub_second_time() {
        assert_rule(
            "COL.019",
            &[
                "CREATE TABLE t1 (t TIME(3), dt DATETIME(6))",
                "ALTER TABLE t1 ADD COLUMN ts TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3)",
            ],
            &["CREATE TABLE t1 (t TIME, dt DATETIME, ts TIMESTAMP(0))"],
        );
        assert_eq!(
            hits("COL.019", "CREATE TABLE t1 (t TIME(3), dt DATETIME(6))").len(),
            2
        );
    }
}
