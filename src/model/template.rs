//! Task templates (任务模板): declared args and the steps each host group runs, level by level.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::error::Invalid;

/// Args every task provides without declaring them.
pub const BUILTIN_ARGS: [&str; 3] = ["FLOW_ID", "SERVER_IP", "SERVER_HOST"];

/// When a step may start once the host reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// As soon as it is reached.
    #[default]
    Order,
    /// Not before the task's exec time.
    Timed,
    /// Only after a person releases it.
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Order => "order",
            Trigger::Timed => "timed",
            Trigger::Manual => "manual",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgDecl {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Masked as `******` in every log line and in the UI.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Host group number, 1-based; groups run one after another.
    pub group: u32,
    /// Order inside the group; each host walks its levels in order.
    pub level: u32,
    pub name: String,
    /// Shell command with `${ARG}` placeholders (values are substituted shell-quoted).
    pub command: String,
    /// e.g. `30s`, `20m`; absent means the config's default step timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(default)]
    pub trigger: Trigger,
    /// Exec user alias overriding the host's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_user: Option<String>,
    /// Run this step on one fixed inventory host instead of the group's hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_host: Option<String>,
    /// The step's stdout (trimmed) becomes this arg for later steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<String>,
    /// The captured value is a secret (a token, a join command): the step's stdout is not logged,
    /// and the value is masked as `******` wherever it appears in later log lines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub capture_secret: bool,
    /// Args whose values are written to the step's stdin, one after another, each ending in a newline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stdin: Vec<String>,
}

impl Step {
    pub fn timeout(&self) -> Option<std::time::Duration> {
        self.timeout
            .as_deref()
            .and_then(|t| super::time::parse_duration(t).ok())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Who may approve tasks from this template (admins always may).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default)]
    pub args: Vec<ArgDecl>,
    pub steps: Vec<Step>,
}

/// Every `${NAME}` placeholder in a command, in order of appearance.
pub fn placeholders(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = command;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].to_string());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

/// Placeholders written inside shell quotes, with that quote (`'` or `"`). The renderer quotes
/// every value itself, so inside quotes its quoting is undone: in `"${A}"` a value `$(cmd)` runs,
/// in `'${A}'` a value's own `'` ends the quote. Shell comments are skipped.
pub fn quoted_placeholders(command: &str) -> Vec<(String, char)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut it = command.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let placeholder = c == '$' && command[i..].starts_with("${");
        match (quote, c) {
            (None, '\\') | (Some('"'), '\\') => {
                it.next();
            }
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') if prev.is_whitespace() || matches!(prev, ';' | '&' | '|' | '(') => {
                while it.next_if(|&(_, c)| c != '\n').is_some() {}
            }
            (Some(q), _) if c == q => quote = None,
            (Some(q), '$') if placeholder => {
                if let Some(j) = command[i + 2..].find('}') {
                    out.push((command[i + 2..i + 2 + j].to_string(), q));
                }
            }
            _ => {}
        }
        prev = c;
    }
    out
}

fn valid_arg_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    pub fn arg(&self, name: &str) -> Option<&ArgDecl> {
        self.args.iter().find(|a| a.name == name)
    }

    /// Number of host groups (groups are 1..=N).
    pub fn group_count(&self) -> u32 {
        self.steps.iter().map(|s| s.group).max().unwrap_or(0)
    }

    /// Steps of one group ordered by level.
    pub fn group_steps(&self, group: u32) -> Vec<&Step> {
        let mut v: Vec<&Step> = self.steps.iter().filter(|s| s.group == group).collect();
        v.sort_by_key(|s| s.level);
        v
    }

    /// True when every step of the group runs on a fixed host, so the task needs no hosts for it.
    pub fn group_is_forced(&self, group: u32) -> bool {
        let steps = self.group_steps(group);
        !steps.is_empty() && steps.iter().all(|s| s.force_host.is_some())
    }

    /// Names of secret args.
    pub fn secret_args(&self) -> BTreeSet<&str> {
        self.args
            .iter()
            .filter(|a| a.secret)
            .map(|a| a.name.as_str())
            .collect()
    }

    /// Things that load but deserve a word: a secret arg on a command line, where `ps` on the
    /// host shows it to every local user while the step runs.
    pub fn warnings(&self) -> Invalid {
        let mut w = Invalid::default();
        let secrets = self.secret_args();
        for (i, s) in self.steps.iter().enumerate() {
            let mut named: Vec<String> = placeholders(&s.command)
                .into_iter()
                .filter(|p| secrets.contains(p.as_str()))
                .collect();
            named.dedup();
            for p in named {
                w.push(
                    format!("steps[{i}].command"),
                    format!(
                        "secret arg `{p}` is on the command line, which `ps` on the host shows while \
                         the step runs: send it on stdin instead (`stdin = [\"{p}\"]`, then \
                         `IFS= read -r {p}` in the command)"
                    ),
                );
            }
        }
        w
    }

    /// Checks ids, groups 1..N without gaps, unique levels, declared placeholders, args and timeouts.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errs = Invalid::default();
        if self.id == 0 {
            errs.push("id", "must be a positive number");
        }
        if self.name.trim().is_empty() {
            errs.push("name", "is empty");
        }
        let mut declared = BTreeSet::new();
        for (i, a) in self.args.iter().enumerate() {
            if !valid_arg_name(&a.name) {
                errs.push(
                    format!("args[{i}].name"),
                    format!(
                        "`{}` is not a valid arg name (letters, digits and `_`, not starting with a digit)",
                        a.name
                    ),
                );
            }
            if BUILTIN_ARGS.contains(&a.name.as_str()) {
                errs.push(
                    format!("args[{i}].name"),
                    format!("`{}` is built in and cannot be declared", a.name),
                );
            }
            if !declared.insert(a.name.as_str()) {
                errs.push(
                    format!("args[{i}].name"),
                    format!("duplicate arg `{}`", a.name),
                );
            }
            if a.required && a.default.is_some() {
                errs.push(
                    format!("args[{i}].default"),
                    "a required arg cannot have a default (drop one of them)",
                );
            }
        }
        if self.name.contains('\0') {
            errs.push("name", "contains a NUL character");
        }
        for (i, a) in self.args.iter().enumerate() {
            if a.default.as_deref().is_some_and(|d| d.contains('\0')) {
                errs.push(format!("args[{i}].default"), "contains a NUL character");
            }
        }
        if self.steps.is_empty() {
            errs.push("steps", "a template needs at least one step");
        }
        let mut groups: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            let f = format!("steps[{i}]");
            if s.group == 0 {
                errs.push(format!("{f}.group"), "groups are numbered from 1");
            }
            if s.level == 0 {
                errs.push(format!("{f}.level"), "levels are numbered from 1");
            }
            if !groups.entry(s.group).or_default().insert(s.level) {
                errs.push(
                    format!("{f}.level"),
                    format!("group {} already has a step at level {}", s.group, s.level),
                );
            }
            if s.name.trim().is_empty() {
                errs.push(format!("{f}.name"), "is empty");
            }
            if s.command.trim().is_empty() {
                errs.push(format!("{f}.command"), "is empty");
            }
            // A NUL (TOML's `\u0000`) cannot reach a shell, nor be stored on PostgreSQL.
            let mut texts = vec![("name", &s.name), ("command", &s.command)];
            texts.extend(s.stdin.iter().map(|l| ("stdin", l)));
            for (field, text) in texts {
                if text.contains('\0') {
                    errs.push(format!("{f}.{field}"), "contains a NUL character");
                }
            }
            if let Some(t) = &s.timeout
                && let Err(e) = super::time::parse_duration(t)
            {
                errs.push(format!("{f}.timeout"), e);
            }
            if s.capture_secret && s.capture.is_none() {
                errs.push(
                    format!("{f}.capture_secret"),
                    "needs `capture = \"NAME\"` on the same step",
                );
            }
            if let Some(c) = &s.capture
                && !valid_arg_name(c)
            {
                errs.push(
                    format!("{f}.capture"),
                    format!("`{c}` is not a valid arg name"),
                );
            }
        }
        let n = groups.keys().copied().max().unwrap_or(0);
        for g in 1..=n {
            if !groups.contains_key(&g) {
                errs.push(
                    "steps",
                    format!(
                        "host groups must be numbered 1..{n} without gaps; group {g} has no step"
                    ),
                );
            }
        }
        // A placeholder must be declared, built in, or captured by a step that runs earlier.
        for (i, s) in self.steps.iter().enumerate() {
            let earlier_captures: BTreeSet<&str> = self
                .steps
                .iter()
                .filter(|o| o.group < s.group || (o.group == s.group && o.level < s.level))
                .filter_map(|o| o.capture.as_deref())
                .collect();
            let known = |p: &str| {
                declared.contains(p) || BUILTIN_ARGS.contains(&p) || earlier_captures.contains(p)
            };
            for p in placeholders(&s.command) {
                if !known(&p) {
                    errs.push(
                        format!("steps[{i}].command"),
                        format!(
                            "placeholder `${{{p}}}` is not declared (add [[args]] name = \"{p}\", or use a built-in: {})",
                            BUILTIN_ARGS.join(", ")
                        ),
                    );
                }
            }
            for (p, q) in quoted_placeholders(&s.command) {
                let quotes = if q == '"' { "double" } else { "single" };
                errs.push(
                    format!("steps[{i}].command"),
                    format!(
                        "placeholder `${{{p}}}` is inside {quotes} quotes, where a value holding `$(…)` \
                         or a quote would run as a command: placeholders are quoted for you: \
                         write ${{{p}}} bare (remove the quotes around it)"
                    ),
                );
            }
            for p in &s.stdin {
                if !known(p) {
                    errs.push(
                        format!("steps[{i}].stdin"),
                        format!("arg `{p}` is not declared"),
                    );
                }
            }
        }
        errs.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(group: u32, level: u32, command: &str) -> Step {
        Step {
            group,
            level,
            name: format!("g{group}l{level}"),
            command: command.into(),
            timeout: None,
            trigger: Trigger::Order,
            exec_user: None,
            force_host: None,
            capture: None,
            capture_secret: false,
            stdin: vec![],
        }
    }

    fn tpl(steps: Vec<Step>) -> Template {
        Template {
            id: 1,
            name: "t".into(),
            description: String::new(),
            approvers: vec![],
            args: vec![ArgDecl {
                name: "VERSION".into(),
                default: None,
                required: true,
                secret: false,
                description: String::new(),
            }],
            steps,
        }
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(
            placeholders("echo ${A} ${B_2}x${A} $C ${"),
            vec!["A", "B_2", "A"]
        );
    }

    #[test]
    fn placeholders_inside_quotes_are_found() {
        assert_eq!(
            quoted_placeholders(r#"echo "dq:${A}" '${B}' ${C} "x" \'${D}\' # don't ${E}"#),
            vec![("A".to_string(), '"'), ("B".to_string(), '\'')]
        );
        assert_eq!(
            quoted_placeholders("printf '%s\\n' ${A} \"$HOME\"\n# it's ${B}\necho ${C}"),
            vec![]
        );
        let e = tpl(vec![step(1, 1, "echo \"v=${VERSION}\"")])
            .validate()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("inside double quotes") && e.contains("write ${VERSION} bare"),
            "{e}"
        );
    }

    #[test]
    fn a_nul_is_refused_naming_the_field() {
        let mut t = tpl(vec![step(1, 1, "echo a\0b")]);
        t.name = "t\0".into();
        t.steps[0].stdin = vec!["x\0".into()];
        let e = t.validate().unwrap_err().to_string();
        for field in ["name", "steps[0].command", "steps[0].stdin"] {
            assert!(e.contains(field), "{field} in {e}");
        }
    }

    #[test]
    fn a_good_template_validates() {
        let mut s1 = step(1, 1, "echo ${VERSION} ${FLOW_ID}");
        s1.capture = Some("OUT".into());
        tpl(vec![
            s1,
            step(1, 2, "echo ${OUT}"),
            step(2, 1, "echo ${OUT} ${SERVER_IP}"),
        ])
        .validate()
        .unwrap();
    }

    #[test]
    fn a_gap_in_groups_is_refused() {
        let e = tpl(vec![step(1, 1, "true"), step(3, 1, "true")])
            .validate()
            .unwrap_err();
        assert!(e.to_string().contains("group 2 has no step"), "{e}");
    }

    #[test]
    fn duplicate_levels_and_undeclared_placeholders_are_refused() {
        let e = tpl(vec![step(1, 1, "true"), step(1, 1, "echo ${NOPE}")])
            .validate()
            .unwrap_err();
        assert!(e.has_field("steps[1].level"), "{e}");
        assert!(e.has_field("steps[1].command"), "{e}");
        assert!(e.to_string().contains("${NOPE}"));
    }

    #[test]
    fn a_capture_is_only_visible_to_later_steps() {
        let mut s2 = step(1, 2, "kubeadm");
        s2.capture = Some("JOIN".into());
        let e = tpl(vec![step(1, 1, "echo ${JOIN}"), s2])
            .validate()
            .unwrap_err();
        assert!(e.has_field("steps[0].command"), "{e}");
    }

    #[test]
    fn a_secret_capture_needs_a_capture() {
        let mut s = step(1, 1, "true");
        s.capture_secret = true;
        let e = tpl(vec![s.clone()]).validate().unwrap_err();
        assert!(e.has_field("steps[0].capture_secret"), "{e}");
        s.capture = Some("TOKEN".into());
        tpl(vec![s]).validate().unwrap();
    }

    #[test]
    fn bad_timeout_and_bad_arg_names_are_refused() {
        let mut s = step(1, 1, "true");
        s.timeout = Some("forever".into());
        let mut t = tpl(vec![s]);
        t.args.push(ArgDecl {
            name: "9X".into(),
            default: None,
            required: false,
            secret: false,
            description: String::new(),
        });
        t.args.push(ArgDecl {
            name: "FLOW_ID".into(),
            default: None,
            required: false,
            secret: false,
            description: String::new(),
        });
        let e = t.validate().unwrap_err();
        assert!(e.has_field("steps[0].timeout"));
        assert!(e.has_field("args[1].name"));
        assert!(e.has_field("args[2].name"));
    }

    #[test]
    fn unknown_trigger_is_a_parse_error() {
        let src = "id = 1\nname = \"x\"\n[[steps]]\ngroup = 1\nlevel = 1\nname = \"a\"\ncommand = \"true\"\ntrigger = \"later\"\n";
        let e = toml::from_str::<Template>(src).unwrap_err();
        assert!(e.to_string().contains("order"), "{e}");
    }
}
