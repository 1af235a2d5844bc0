//! Field errors of the module forms in the console's language: the English templates the modules
//! return (unchanged for the CLI and API) matched and rewritten in Chinese at the console boundary.

use super::i18n::Lang;

/// English template (every `{…}` is a value) and its Chinese text (`{0}`, `{1}`… the values in order).
const FIELD_ERRORS: &[(&str, &str)] = &[
    // src/modules/mod.rs
    ("choose a tag", "请选择一个标签"),
    ("choose a template", "请选择一个模板"),
    ("`{}` is given twice", "`{0}` 重复给出"),
    (
        "`{}` is not an arg name (letters, digits and `_`, not starting with a digit)",
        "`{0}` 不是参数名（字母、数字和 `_`，不以数字开头）",
    ),
    (
        "`{}` has the {} role; approvers need the approver or admin role",
        "`{0}` 的角色是 {1}；审批人需要 approver 或 admin 角色",
    ),
    ("`{}` is named twice", "`{0}` 被指定了两次"),
    (
        "`{}` submits this task and cannot approve it",
        "`{0}` 是本任务的提交人，不能审批",
    ),
    ("is required by template {}", "模板 {0} 要求填写"),
    ("unknown tag `{}`", "未知标签 `{0}`"),
    (
        "unknown template {} (see `opsdeck template list`)",
        "未知模板 {0}（见 `opsdeck template list`）",
    ),
    ("unknown template {}", "未知模板 {0}"),
    ("unknown user `{}`", "未知用户 `{0}`"),
    ("the value has no name", "该值没有名称"),
    (
        "template {} declares no arg {} (declared: {})",
        "模板 {0} 未声明参数 {1}（已声明：{2}）",
    ),
    (
        "{} hosts exceed the concurrency cap of {} (config `concurrency`)",
        "{0} 台主机超过并发上限 {1}（配置 `concurrency`）",
    ),
    (
        "{} may not target tag `{}` (allowed: {})",
        "{0} 无权操作标签 `{1}`（允许：{2}）",
    ),
    // src/modules/app_publish.rs
    ("choose an app", "请选择一个应用"),
    ("unknown app `{}`", "未知应用 `{0}`"),
    (
        "give the tag or version to publish",
        "请填写要发布的标签或版本",
    ),
    ("`{}` contains spaces", "`{0}` 含有空格"),
    (
        "`{}` is set from the app; remove the row",
        "`{0}` 由应用设定；请删除该行",
    ),
    (
        "`{}` has no build host (build_host / build_hosts)",
        "`{0}` 没有构建主机（build_host / build_hosts）",
    ),
    (
        "`{}` has no deploy target (tag / hosts)",
        "`{0}` 没有部署目标（tag / hosts）",
    ),
    (
        "`{}` uses template {}, which does not exist",
        "`{0}` 使用的模板 {1} 不存在",
    ),
    (
        "{} may not publish `{}` (allowed: {})",
        "{0} 无权发布 `{1}`（允许：{2}）",
    ),
    // src/modules/custom.rs, custom_proxy.rs
    ("`{}` is chosen twice", "`{0}` 被选择了两次"),
    (
        "`{}` is not a host of tag `{}`",
        "`{0}` 不是标签 `{1}` 的主机",
    ),
    ("tag `{}` has no hosts", "标签 `{0}` 没有主机"),
    (
        "template {} has {} host groups; a custom task fills group 1 only — use the JSON module (`opsdeck submit json`) to give hosts per group",
        "模板 {0} 有 {1} 个主机组；自定义任务只填写第 1 组——请用 JSON 模块（`opsdeck submit json`）按组给出主机",
    ),
    (
        "template {} has {} host groups; a proxy task runs once on the proxy (group 1)",
        "模板 {0} 有 {1} 个主机组；代理任务只在代理主机上执行一次（第 1 组）",
    ),
    (
        "`{}` is set from the chosen tags; remove the row",
        "`{0}` 由所选标签设定；请删除该行",
    ),
    ("choose at least one tag", "请至少选择一个标签"),
    ("choose exactly one proxy host", "请只选择一台代理主机"),
    (
        "exactly one proxy host, not a list",
        "只能是一台代理主机，不能是列表",
    ),
    ("unknown host `{}`", "未知主机 `{0}`"),
    // src/modules/custom_json.rs, pyliteral.rs
    ("`{}` is not an address", "`{0}` 不是地址"),
    (
        "`{}` is not in the inventory (no host has that address or name); add it, or set allow_adhoc_hosts in the config",
        "`{0}` 不在资产清单中（没有主机使用该地址或名称）；请添加它，或在配置中设置 allow_adhoc_hosts",
    ),
    (
        "`{}` is not a host group number (1, 2, …)",
        "`{0}` 不是主机组编号（1, 2, …）",
    ),
    (
        "`{}` is not a template id (a positive number, or a string holding one)",
        "`{0}` 不是模板编号（正整数，或内容为正整数的字符串）",
    ),
    (
        "`{}` is not accepted; use `ready` (runs at its exec time) or `new` (needs approval first)",
        "不接受 `{0}`；请用 `ready`（到执行时间即运行）或 `new`（需先审批）",
    ),
    (
        "bad Python literal `{}`: {}",
        "无效的 Python 字面量 `{0}`：{1}",
    ),
    ("expected a JSON object ({})", "应为 JSON 对象（{0}）"),
    // model/window.rs, engine/actions.rs: maintenance windows.
    (
        "{} is outside the maintenance windows of tag `{}` ({}); the next window opens {}",
        "{0} 不在标签 `{1}` 的维护窗口内（{2}）；下一个窗口开始于 {3}",
    ),
    (
        "{} is outside the maintenance windows of tag `{}` ({}); no window opens within 8 weeks",
        "{0} 不在标签 `{1}` 的维护窗口内（{2}）；8 周内没有窗口",
    ),
    // pyliteral.rs: the details inside "bad Python literal `…`: …".
    ("{} at column {}", "{0}（第 {1} 列）"),
    (
        "the literal nests deeper than the limit of {} levels",
        "字面量嵌套超过 {0} 层的上限",
    ),
    ("expected `,` or `{}`", "应为 `,` 或 `{0}`"),
    ("unknown string prefix `{}`", "未知的字符串前缀 `{0}`"),
    (
        "`{}` is not a literal (only strings, numbers, True, False, None, and tuples, lists, dicts, sets of them)",
        "`{0}` 不是字面量（只接受字符串、数字、True、False、None，以及由它们组成的 tuple、list、dict、set）",
    ),
    ("escape needs {} hex digits", "转义需要 {0} 位十六进制数字"),
    ("`{}` is not a number", "`{0}` 不是数字"),
    ("unexpected character", "意外的字符"),
    ("unexpected end of the literal", "字面量意外结束"),
    ("unexpected text after the literal", "字面量之后有多余内容"),
    ("unterminated string", "字符串未结束"),
    (
        "newline in a string (use \\n or a '''long''' string)",
        "字符串中有换行（请用 \\n 或 '''长字符串'''）",
    ),
    (
        "bytes can only contain ASCII characters",
        "bytes 只能包含 ASCII 字符",
    ),
    (
        "named escapes (\\N{…}) are not accepted",
        "不接受命名转义（\\N{…}）",
    ),
    ("escape is not a character", "该转义不是有效字符"),
    ("complex numbers are not accepted", "不接受复数"),
    ("expected a dict, got `{}`", "应为 dict，实际为 `{0}`"),
    (
        "expected a string or number, got `{}`",
        "应为字符串或数字，实际为 `{0}`",
    ),
    ("expected a string, got `{}`", "应为字符串，实际为 `{0}`"),
    (
        "expected addresses or host names, got `{}`",
        "应为地址或主机名，实际为 `{0}`",
    ),
    ("expected user names, got `{}`", "应为用户名，实际为 `{0}`"),
    (
        "is missing: give hosts per group, e.g. \"{}\"",
        "缺失：请按组给出主机，例如 \"{0}\"",
    ),
    ("lists no host", "未列出主机"),
    ("not valid JSON: {}", "不是有效的 JSON：{0}"),
    (
        "template {} needs hosts for group {} (its groups are 1..{})",
        "模板 {0} 需要第 {1} 组的主机（其主机组为 1..{2}）",
    ),
    (
        "the template has host groups 1..{}; there is no group {}",
        "该模板的主机组为 1..{0}；没有第 {1} 组",
    ),
    (
        "{} not in the inventory; add them (`opsdeck inventory import`) or use `opsdeck submit json`",
        "{0} 不在资产清单中；请添加（`opsdeck inventory import`）或使用 `opsdeck submit json`",
    ),
    (
        "dict key `{}` is not a string or number",
        "dict 的键 `{0}` 不是字符串或数字",
    ),
    (
        "the literal is {} bytes; the limit is {}",
        "字面量有 {0} 字节；上限为 {1}",
    ),
    // src/modules/node_add.rs
    (
        "`{}` is already in the cluster tag `{}`",
        "`{0}` 已在集群标签 `{1}` 中",
    ),
    (
        "`{}` is not a Kubernetes version like `1.31` or `1.31.2`",
        "`{0}` 不是 Kubernetes 版本（如 `1.31` 或 `1.31.2`）",
    ),
    (
        "built-in template {} is missing from the store",
        "内置模板 {0} 不在存储中",
    ),
    ("choose at least one new node", "请至少选择一个新节点"),
    (
        "tag `{}` has no host to act as the control plane",
        "标签 `{0}` 没有可作控制平面的主机",
    ),
    // src/modules/resource.rs
    ("`{}` is not a whole number", "`{0}` 不是整数"),
    ("choose one of: {}", "请选择其一：{0}"),
    (
        "unknown resource type `{}` (configured: {})",
        "未知资源类型 `{0}`（已配置：{1}）",
    ),
    (
        "`{}` has no field `{}` (fields: {})",
        "`{0}` 没有字段 `{1}`（字段：{2}）",
    ),
    (
        "`{}` runs on host `{}`, which is not in the inventory (config resource_types.host)",
        "`{0}` 在主机 `{1}` 上运行，该主机不在资产清单中（配置 resource_types.host）",
    ),
    ("is required for `{}`", "`{0}` 要求填写"),
    ("must be at least 1", "至少为 1"),
    ("name at least one approver", "请至少指定一位审批人"),
    ("say why the resource is needed", "请说明为何需要该资源"),
    // src/modules/sql_audit.rs, sql_optimize.rs
    (
        "built-in template {} is missing (`opsdeck template list`)",
        "内置模板 {0} 缺失（`opsdeck template list`）",
    ),
    ("enter the SQL to execute", "请输入要执行的 SQL"),
    ("enter the statement to explain", "请输入要 EXPLAIN 的语句"),
    (
        "name at least one approver (a user with the approver or admin role)",
        "请至少指定一位审批人（具有 approver 或 admin 角色的用户）",
    ),
    (
        "statement {} at line {}:{}: {}",
        "第 {0} 条语句，第 {1} 行 {2} 列：{3}",
    ),
    (
        "tag `{}` runs SQL through the mysql client (sql_via = \"client\"), which cannot hold the audit in one transaction; use a tag with sql_via = \"tunnel\"",
        "标签 `{0}` 通过代理上的 mysql 客户端执行 SQL（sql_via = \"client\"），无法把整个审核放在一个事务中；请使用 sql_via = \"tunnel\" 的标签",
    ),
    (
        "statement {} at line {} is DDL, which MySQL commits implicitly: it cannot be undone with the transaction; submit it in an audit without `transaction`",
        "第 {1} 行的第 {0} 条语句是 DDL，MySQL 会隐式提交，无法随事务回滚；请在不带 `transaction` 的审核中提交",
    ),
    (
        "statement {} at line {} controls the transaction, which opsdeck opens and ends itself with `transaction`",
        "第 {1} 行的第 {0} 条语句控制事务；使用 `transaction` 时由 opsdeck 自己开启和结束事务",
    ),
    ("line {}:{}: {}", "第 {0} 行 {1} 列：{2}"),
    (
        "tag `{}` has no MySQL write database (add one with `role = \"write\"` under the tag's databases)",
        "标签 `{0}` 没有 MySQL 写库（在该标签的 databases 下添加一个 `role = \"write\"` 的库）",
    ),
    (
        "tag `{}` has no proxy host (set `proxy` on the tag in the inventory)",
        "标签 `{0}` 没有代理主机（在资产清单中为该标签设置 `proxy`）",
    ),
    (
        "tag `{}` has {} MySQL write databases ({}); an audit needs exactly one",
        "标签 `{0}` 有 {1} 个 MySQL 写库（{2}）；审核需要恰好一个",
    ),
    (
        "the proxy `{}` of tag `{}` is not an inventory host",
        "标签 `{1}` 的代理 `{0}` 不是资产清单中的主机",
    ),
    (
        "EXPLAIN works on SELECT, INSERT, REPLACE, UPDATE and DELETE, not `{}`",
        "EXPLAIN 适用于 SELECT、INSERT、REPLACE、UPDATE 和 DELETE，不适用于 `{0}`",
    ),
    (
        "`{}` is not a table name (letters, digits and `_`, one optional `schema.` prefix)",
        "`{0}` 不是表名（字母、数字和 `_`，可带一个 `schema.` 前缀）",
    ),
    (
        "online advice explains one statement; this holds {} (use the local mode for scripts)",
        "在线建议只解释一条语句；这里有 {0} 条（脚本请用本地模式）",
    ),
    (
        "runs locally (results below); choose `online advice` to submit EXPLAIN and index statistics through the proxy",
        "在本地执行（结果见下方）；选择 `online advice` 可通过代理提交 EXPLAIN 和索引统计",
    ),
    (
        "tag `{}` has no database (add one under the tag's databases)",
        "标签 `{0}` 没有数据库（在该标签的 databases 下添加）",
    ),
    (
        "tag `{}` has no database `{}` (databases: {})",
        "标签 `{0}` 没有数据库 `{1}`（数据库：{2}）",
    ),
    (
        "tag `{}` has {} databases ({}); choose one",
        "标签 `{0}` 有 {1} 个数据库（{2}）；请选择一个",
    ),
    // src/model/time.rs (the exec time); the reason is translated in its turn
    (
        "cannot read `{}` as a time: {}; accepted: `YYYY-MM-DD HH:MM[:SS]` (local time), RFC 3339 (`2026-11-24T10:00:00+08:00`), `now`, or relative `+30s`, `+10m`, `+2h`, `+1d`",
        "无法把 `{0}` 读作时间：{1}；可用：`YYYY-MM-DD HH:MM[:SS]`（本地时间）、RFC 3339（`2026-11-24T10:00:00+08:00`）、`now`，或相对时间 `+30s`、`+10m`、`+2h`、`+1d`",
    ),
    ("it is empty", "内容为空"),
    ("unknown form", "格式无法识别"),
    (
        "that local time does not exist (skipped by a daylight-saving change)",
        "该本地时间不存在（被夏令时调整跳过）",
    ),
    (
        "no such date or time (check month 1-12, day, hour 0-23, minute 0-59)",
        "没有这个日期或时间（请检查月 1-12、日、时 0-23、分 0-59）",
    ),
    (
        "a relative time needs a unit: s, m, h or d",
        "相对时间需要单位：s、m、h 或 d",
    ),
    (
        "a relative time starts with a whole number, e.g. +10m",
        "相对时间以整数开头，例如 +10m",
    ),
    (
        "unknown unit `{}` (use s, m, h or d)",
        "未知单位 `{0}`（请用 s、m、h 或 d）",
    ),
    (
        "a relative time may be at most a year ahead",
        "相对时间最多一年以后",
    ),
    (
        "cannot read `{}` as a duration ({}); accepted: e.g. `30s`, `20m`, `1h 30m`",
        "无法把 `{0}` 读作时长（{1}）；可用：例如 `30s`、`20m`、`1h 30m`",
    ),
    // src/model/task.rs (checked when a form builds its spec)
    ("is empty", "为空"),
    ("is required by the template", "模板要求填写"),
    (
        "contains a control character (e.g. NUL, ESC, a newline)",
        "含有控制字符（如 NUL、ESC、换行）",
    ),
    ("contains a NUL character", "含有 NUL 字符"),
    (
        "arg names use letters, digits and `_` only",
        "参数名只能使用字母、数字和 `_`",
    ),
    ("host `{}` is listed twice", "主机 `{0}` 列出了两次"),
    (
        "spec names template {} but was checked against {}",
        "任务指定模板 {0}，但按模板 {1} 校验",
    ),
    (
        "step `{}` is forced onto unknown host `{}`",
        "步骤 `{0}` 被指定到未知主机 `{1}`",
    ),
    (
        "template group {} needs at least one host",
        "模板第 {0} 组至少需要一台主机",
    ),
    (
        "template {} has host groups 1..{}; there is no group {}",
        "模板 {0} 的主机组为 1..{1}；没有第 {2} 组",
    ),
    (
        "{} hosts in one group exceeds the concurrency cap of {}",
        "一个组中 {0} 台主机超过并发上限 {1}",
    ),
];

/// A field error's message in the console's language; one without a template stays as it is.
pub fn field_message(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    // The most specific template wins (the longest fixed text).
    let mut best: Option<(usize, &str, Vec<&str>)> = None;
    for (en, zh) in FIELD_ERRORS {
        if let Some(values) = capture(en, message) {
            let fixed = en.len() - 2 * values.len();
            if best.as_ref().is_none_or(|(n, _, _)| fixed > *n) {
                best = Some((fixed, zh, values));
            }
        }
    }
    match best {
        // A value may itself be a message (a time's reason).
        Some((_, zh, values)) => values.iter().enumerate().fold(zh.to_string(), |s, (i, v)| {
            s.replace(&format!("{{{i}}}"), &field_message(lang, v))
        }),
        None => message.to_string(),
    }
}

/// The values of `message` in the `{}` places of `template`, when it has that shape.
fn capture<'m>(template: &str, message: &'m str) -> Option<Vec<&'m str>> {
    let parts: Vec<&str> = template.split("{}").collect();
    let (first, rest) = parts.split_first()?;
    let mut s = message.strip_prefix(first)?;
    let mut values = Vec::new();
    for (i, part) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let at = if last {
            if !s.ends_with(part) {
                return None;
            }
            s.len() - part.len()
        } else if part.is_empty() {
            0
        } else {
            s.find(part)?
        };
        values.push(&s[..at]);
        s = &s[at + part.len()..];
    }
    s.is_empty().then_some(values)
}

/// The field-error templates with every value written `{}` (for the coverage test).
#[cfg(test)]
pub(crate) fn templates() -> impl Iterator<Item = &'static str> {
    FIELD_ERRORS.iter().map(|(en, _)| *en)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sources whose field errors a console form shows.
    const SOURCES: &[(&str, &str)] = &[
        ("modules/mod.rs", include_str!("../modules/mod.rs")),
        (
            "modules/app_publish.rs",
            include_str!("../modules/app_publish.rs"),
        ),
        ("modules/custom.rs", include_str!("../modules/custom.rs")),
        (
            "modules/custom_json.rs",
            include_str!("../modules/custom_json.rs"),
        ),
        (
            "modules/custom_proxy.rs",
            include_str!("../modules/custom_proxy.rs"),
        ),
        (
            "modules/node_add.rs",
            include_str!("../modules/node_add.rs"),
        ),
        (
            "modules/pyliteral.rs",
            include_str!("../modules/pyliteral.rs"),
        ),
        (
            "modules/resource.rs",
            include_str!("../modules/resource.rs"),
        ),
        (
            "modules/sql_audit.rs",
            include_str!("../modules/sql_audit.rs"),
        ),
        (
            "modules/sql_optimize.rs",
            include_str!("../modules/sql_optimize.rs"),
        ),
        ("model/task.rs", include_str!("../model/task.rs")),
        ("model/time.rs", include_str!("../model/time.rs")),
        ("tui/forms/live.rs", include_str!("forms/live.rs")),
    ];

    /// `format!` texts of these sources that a form never shows as a field error.
    const NOT_FIELD_ERRORS: &[&str] = &[
        // Field paths.
        "{}[{}].key",
        "args.{}",
        "associated_user.{}",
        "hosts.{}",
        "fields.{}",
        // Task names.
        "publish {} {}",
        "{} via {}",
        "add {} node(s) to {}",
        "request {} × {}",
        "SQL audit on {}",
        "SQL optimize on {}",
        // The CLI's `--arg` parser.
        "`{}`: use KEY=VALUE",
        // A submit notice, not a field error.
        "args.{}: template {} declares no arg `{}`; it is kept with the task (extra.codo.undeclared_args) but no step uses it",
    ];

    /// The English message templates these sources give a field error, each with its value places as `{}`.
    fn source_messages() -> Vec<(String, String)> {
        // `push(field, "…")`, `FieldError::new(field, format!("…"))`; `Err("…")`, `error = Some("…")`.
        let call = regex::Regex::new(
            r#"(?s)(?:\.push|FieldError::new|\bone|\berr)\(\s*(?:[^,()"]+|[^,()"]*\([^()]*\)|"[^"]*")\s*,\s*(?:format!\(\s*)?"((?:[^"\\]|\\.)*)"|(?:Err|error = Some)\(\s*(?:format!\(\s*)?"((?:[^"\\]|\\.)*)""#,
        )
        .expect("regex");
        // Messages chosen in an `if` reach `push` through a variable: every `format!` counts too.
        let formatted = regex::Regex::new(r#"format!\(\s*"((?:[^"\\]|\\.)*)""#).expect("regex");
        let continuation = regex::Regex::new(r"\\\n\s*").expect("regex");
        let value = regex::Regex::new(r"\{[^{}]*\}").expect("regex");
        let mut out = Vec::new();
        for (name, src) in SOURCES {
            let code = src.split("#[cfg(test)]").next().unwrap_or(src);
            let literals = call
                .captures_iter(code)
                .chain(formatted.captures_iter(code))
                .map(|c| c.get(1).or(c.get(2)).map_or("", |m| m.as_str()).to_string())
                .collect::<Vec<_>>();
            for literal in &literals {
                let text = continuation.replace_all(literal, "").replace("\\\"", "\"");
                let text = value.replace_all(&text, "{}").into_owned();
                // Short literals that are not messages (`push(h.clone())`-like calls never match).
                if text.chars().any(char::is_alphabetic)
                    && text != "{}"
                    && !NOT_FIELD_ERRORS.contains(&text.as_str())
                {
                    out.push((name.to_string(), text));
                }
            }
        }
        out
    }

    /// Every field error a module form can show has a Chinese text: a new English message in a
    /// module without a line in `FIELD_ERRORS` fails here.
    #[test]
    fn every_field_error_shown_by_a_form_has_a_chinese_translation() {
        let known: Vec<&str> = templates().collect();
        let found = source_messages();
        assert!(found.len() > 80, "read {} messages", found.len());
        let missing: Vec<_> = found
            .iter()
            .filter(|(_, m)| !known.contains(&m.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "field errors with no Chinese text: {missing:#?}"
        );
        let han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for (_, zh) in FIELD_ERRORS {
            assert!(han(zh), "not Chinese: {zh}");
        }
    }

    #[test]
    fn values_are_kept_and_reordered() {
        assert_eq!(
            field_message(
                Lang::Zh,
                "the proxy `p1` of tag `db x` is not an inventory host"
            ),
            "标签 `db x` 的代理 `p1` 不是资产清单中的主机"
        );
        assert_eq!(field_message(Lang::Zh, "unknown template 7"), "未知模板 7");
        assert_eq!(
            field_message(Lang::Zh, "unknown template 7 (see `opsdeck template list`)"),
            "未知模板 7（见 `opsdeck template list`）"
        );
        assert_eq!(
            field_message(Lang::En, "unknown template 7"),
            "unknown template 7"
        );
        let time = crate::model::parse_exec_time("someday", chrono::Utc::now())
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string());
        let zh = field_message(Lang::Zh, &time);
        assert!(
            zh.starts_with("无法把 `someday` 读作时间：格式无法识别；"),
            "{zh}"
        );
        // A parser's detail inside a field error is translated too.
        let bad = crate::modules::pyliteral::parse("{'a': [1, 2}")
            .err()
            .map(|e| format!("bad Python literal `{{'a': [1, 2}}`: {e}"))
            .unwrap_or_default();
        assert_eq!(
            field_message(Lang::Zh, &bad),
            "无效的 Python 字面量 `{'a': [1, 2}`：应为 `,` 或 `]`（第 12 列）"
        );
        let open = crate::modules::pyliteral::parse("'abc")
            .err()
            .unwrap_or_default();
        assert_eq!(field_message(Lang::Zh, &open), "字符串未结束（第 1 列）");
        // No template: shown as it came.
        assert_eq!(field_message(Lang::Zh, "something new"), "something new");
    }
}
