//! Imports Ansible INI inventories: groups become tags, `ansible_*` connection vars become hosts'
//! address, port, connection and exec users. Every problem is reported with its line.
//!
//! Supported: `[group]`, `[group:children]` (nested, a parent's hosts are the union of its
//! children's), `[group:vars]` and `[all:vars]` (host vars win over group vars, child group vars
//! over parent vars), host ranges `web[01:20]`, `db-[a:f]`, `[0:10:2]`, `host:port`, `#`/`;`
//! comments, quoted values, and the implicit `ungrouped` group. Vars other than `ansible_host`,
//! `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file` / `ansible_private_key_file`
//! and `ansible_connection` (and their legacy `ansible_ssh_*` spellings) are ignored;
//! `ansible_connection` other than `ssh`/`smart`/`paramiko`/`local` (`docker`, `winrm`, …) is refused. A key without
//! a user is ignored too: opsdeck's exec users always name the login user.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::LoadError;
use crate::model::{Connection, ExecUser, Host, Inventory, Tag};

/// Hosts a single range may expand to; more is surely a typo.
const MAX_RANGE: u64 = 100_000;
/// Hosts one inventory file may hold after expanding its ranges.
const MAX_HOSTS: usize = 200_000;

#[derive(Debug, Clone)]
struct Var {
    key: String,
    value: String,
    line: usize,
}

#[derive(Debug, Default)]
struct Group {
    name: String,
    /// Line of the first section that named the group.
    line: usize,
    /// Has a `[g]` or `[g:children]` section (a `[g:vars]` alone does not define it).
    defined: bool,
    /// Line of the first `[g:vars]` section.
    vars_line: Option<usize>,
    hosts: Vec<String>,
    /// `hosts` as a set, so adding a host stays constant time (ranges add 100 000 at once).
    host_set: HashSet<String>,
    children: Vec<(String, usize)>,
    vars: Vec<Var>,
}

#[derive(Debug)]
struct HostEntry {
    name: String,
    line: usize,
    vars: Vec<Var>,
}

enum Section {
    Hosts(usize),
    Children(usize),
    Vars(usize),
    /// After a bad header: skip lines until the next section.
    Skip,
}

#[derive(Default)]
struct Parser {
    groups: Vec<Group>,
    group_ix: HashMap<String, usize>,
    hosts: Vec<HostEntry>,
    host_ix: HashMap<String, usize>,
    problems: Vec<(Option<usize>, String)>,
}

impl Parser {
    fn group(&mut self, name: &str, line: usize) -> usize {
        if let Some(&i) = self.group_ix.get(name) {
            return i;
        }
        self.groups.push(Group {
            name: name.to_string(),
            line,
            ..Default::default()
        });
        self.group_ix
            .insert(name.to_string(), self.groups.len() - 1);
        self.groups.len() - 1
    }

    fn err(&mut self, line: usize, msg: impl Into<String>) {
        self.problems.push((Some(line), msg.into()));
    }

    fn add_host(&mut self, group: usize, name: String, line: usize, vars: &[Var]) {
        let hi = match self.host_ix.get(&name) {
            Some(&i) => i,
            None => {
                self.hosts.push(HostEntry {
                    name: name.clone(),
                    line,
                    vars: Vec::new(),
                });
                self.host_ix.insert(name.clone(), self.hosts.len() - 1);
                self.hosts.len() - 1
            }
        };
        self.hosts[hi].vars.extend(vars.iter().cloned());
        let g = &mut self.groups[group];
        if g.host_set.insert(name.clone()) {
            g.hosts.push(name);
        }
    }

    fn header(&mut self, t: &str, line: usize) -> Section {
        let h = strip_trailing_comment(t).trim_end();
        let Some(inner) = h.strip_prefix('[').and_then(|s| s.strip_suffix(']')) else {
            self.err(line, format!("`{t}` is not a section header: expected `[group]`, `[group:children]` or `[group:vars]`"));
            return Section::Skip;
        };
        let inner = inner.trim();
        let (name, suffix) = match inner.split_once(':') {
            Some((n, s)) => (n.trim(), Some(s.trim())),
            None => (inner, None),
        };
        if name.is_empty() || name.contains(char::is_whitespace) || name.contains(['[', ']']) {
            self.err(
                line,
                format!("`[{inner}]`: a group name cannot be empty or contain spaces or brackets"),
            );
            return Section::Skip;
        }
        if let Some(&g) = self.group_ix.get(name)
            && self.groups[g].line == 0
        {
            // `all` and `ungrouped` exist from the start; remember where they are first named.
            self.groups[g].line = line;
        }
        match suffix {
            None => {
                let g = self.group(name, line);
                self.groups[g].defined = true;
                Section::Hosts(g)
            }
            Some("children") => {
                let g = self.group(name, line);
                self.groups[g].defined = true;
                Section::Children(g)
            }
            Some("vars") => {
                let g = self.group(name, line);
                self.groups[g].vars_line.get_or_insert(line);
                Section::Vars(g)
            }
            Some(other) => {
                self.err(
                    line,
                    format!("unknown section suffix `:{other}` in `[{inner}]`; accepted: `[{name}:children]`, `[{name}:vars]`"),
                );
                Section::Skip
            }
        }
    }

    fn host_line(&mut self, group: usize, t: &str, line: usize) {
        let tokens = match tokenize(t) {
            Ok(v) => v,
            Err(e) => return self.err(line, e),
        };
        let Some((pattern, rest)) = tokens.split_first() else {
            return;
        };
        let mut vars = Vec::new();
        let (pattern, port) = split_port(pattern);
        if let Some(p) = port {
            vars.push(Var {
                key: "ansible_port".into(),
                value: p.to_string(),
                line,
            });
        }
        for tok in rest {
            match tok.split_once('=') {
                Some((k, v)) if !k.is_empty() => vars.push(Var {
                    key: k.to_string(),
                    value: v.to_string(),
                    line,
                }),
                _ => {
                    return self.err(
                        line,
                        format!("`{tok}` after host `{pattern}` is not a `key=value` variable"),
                    );
                }
            }
        }
        match expand_range(pattern) {
            Ok(names) if self.hosts.len() + names.len() > MAX_HOSTS => self.err(
                line,
                format!(
                    "`{pattern}` brings the inventory past {MAX_HOSTS} hosts, the most one import \
                     takes; split the inventory"
                ),
            ),
            Ok(names) => {
                for n in names {
                    self.add_host(group, n, line, &vars);
                }
            }
            Err(e) => self.err(line, format!("bad host range in `{pattern}`: {e}")),
        }
    }

    fn var_line(&mut self, group: usize, t: &str, line: usize) {
        let Some((k, v)) = t.split_once('=') else {
            let name = self.groups[group].name.clone();
            return self.err(
                line,
                format!("`{t}` in [{name}:vars] is not a variable: expected `key=value`"),
            );
        };
        let k = k.trim();
        if k.is_empty() || k.contains(char::is_whitespace) {
            return self.err(line, format!("`{k}` is not a variable name"));
        }
        match parse_value(v) {
            Ok(value) => self.groups[group].vars.push(Var {
                key: k.to_string(),
                value,
                line,
            }),
            Err(e) => self.err(line, e),
        }
    }

    fn child_line(&mut self, group: usize, t: &str, line: usize) {
        let name = strip_trailing_comment(t).trim();
        if name.contains(char::is_whitespace) {
            return self.err(line, format!("`{name}`: one child group name per line"));
        }
        self.groups[group].children.push((name.to_string(), line));
    }
}

/// Cuts a `#` comment that starts after whitespace (outside quotes).
fn strip_trailing_comment(t: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in t.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev_space => return &t[..i],
            None => {}
        }
        prev_space = c.is_whitespace();
    }
    t
}

/// A vars-section value: quotes removed, a trailing ` # comment` dropped from unquoted values.
fn parse_value(v: &str) -> Result<String, String> {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return match rest.find(q) {
                Some(end) => Ok(rest[..end].to_string()),
                None => Err(format!("unclosed quote in `{v}`")),
            };
        }
    }
    Ok(strip_trailing_comment(v).trim_end().to_string())
}

/// Splits a host line shell-style: whitespace separates, quotes group (and are removed),
/// a `#` starting a word begins a comment.
fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '"' | '\'' => {
                in_word = true;
                let q = c;
                loop {
                    match chars.next() {
                        Some(x) if x == q => break,
                        Some('\\') if q == '"' => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err(format!("unclosed quote in `{line}`")),
                        },
                        Some(x) => cur.push(x),
                        None => return Err(format!("unclosed quote in `{line}`")),
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// `host:2222` → (`host`, Some("2222")); colons inside `[…]` ranges and in IPv6 are left alone.
fn split_port(pattern: &str) -> (&str, Option<&str>) {
    let mut depth = 0i32;
    let mut colons = Vec::new();
    for (i, c) in pattern.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ':' if depth == 0 => colons.push(i),
            _ => {}
        }
    }
    match colons.as_slice() {
        [i] if !pattern[i + 1..].is_empty() => (&pattern[..*i], Some(&pattern[i + 1..])),
        _ => (pattern, None),
    }
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Expands Ansible host ranges: `web[01:03].x` → web01.x, web02.x, web03.x; `[a:c]`; `[0:10:5]`.
pub fn expand_range(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('[') else {
        if pattern.contains(']') {
            return Err("`]` without `[`".into());
        }
        return Ok(vec![pattern.to_string()]);
    };
    let close = pattern[open..]
        .find(']')
        .map(|i| open + i)
        .ok_or("`[` without a closing `]`")?;
    let (head, inner, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let parts: Vec<&str> = inner.split(':').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 3 {
        return Err(format!(
            "`[{inner}]`: a range is `[start:end]` or `[start:end:step]`"
        ));
    }
    let beg = if parts[0].is_empty() { "0" } else { parts[0] };
    let end = parts[1];
    if end.is_empty() {
        return Err(format!("`[{inner}]`: the range has no end"));
    }
    let step: u64 = match parts.get(2) {
        None => 1,
        Some(s) => match s.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(format!(
                    "`[{inner}]`: the step `{s}` is not a positive number"
                ));
            }
        },
    };
    let seq: Vec<String> =
        if beg.bytes().all(|b| b.is_ascii_digit()) && end.bytes().all(|b| b.is_ascii_digit()) {
            let width = if beg.len() > 1 && beg.starts_with('0') {
                if beg.len() != end.len() {
                    return Err(format!(
                        "`[{inner}]`: a zero-padded range needs start and end of equal length"
                    ));
                }
                beg.len()
            } else {
                0
            };
            let (b, e) = match (beg.parse::<u64>(), end.parse::<u64>()) {
                (Ok(b), Ok(e)) => (b, e),
                _ => return Err(format!("`[{inner}]`: the numbers are too large")),
            };
            if b > e {
                return Err(format!("`[{inner}]`: the start is after the end"));
            }
            if (e - b) / step >= MAX_RANGE {
                return Err(format!("`[{inner}]`: more than {MAX_RANGE} hosts"));
            }
            (b..=e)
                .step_by(step as usize)
                .map(|n| format!("{n:0width$}"))
                .collect()
        } else {
            let (Some(b), Some(e)) = (
                (beg.len() == 1).then(|| LETTERS.find(beg)).flatten(),
                (end.len() == 1).then(|| LETTERS.find(end)).flatten(),
            ) else {
                return Err(format!(
                    "`[{inner}]`: use numbers (`[01:20]`) or single letters (`[a:f]`)"
                ));
            };
            if b > e {
                return Err(format!("`[{inner}]`: the start is after the end"));
            }
            LETTERS[b..=e]
                .chars()
                .step_by(step.min(LETTERS.len() as u64) as usize)
                .map(String::from)
                .collect()
        };
    let rest = expand_range(tail)?;
    if (seq.len() as u64).saturating_mul(rest.len() as u64) > MAX_RANGE {
        return Err(format!("more than {MAX_RANGE} hosts"));
    }
    let mut out = Vec::with_capacity(seq.len() * rest.len());
    for s in &seq {
        for r in &rest {
            out.push(format!("{head}{s}{r}"));
        }
    }
    Ok(out)
}

fn parse(src: &str) -> Parser {
    let mut p = Parser::default();
    p.group("all", 0);
    p.groups[0].defined = true;
    let ungrouped = p.group("ungrouped", 0);
    p.groups[ungrouped].defined = true;
    let mut section = Section::Hosts(ungrouped);
    for (idx, raw) in src.lines().enumerate() {
        let line = idx + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') {
            section = p.header(t, line);
            continue;
        }
        match section {
            Section::Hosts(g) => p.host_line(g, t, line),
            Section::Children(g) => p.child_line(g, t, line),
            Section::Vars(g) => p.var_line(g, t, line),
            Section::Skip => {}
        }
    }
    p
}

/// Parses and validates an Ansible INI inventory; `file_name` only labels errors.
pub fn load_ansible_str(src: &str, file_name: &str) -> Result<Inventory, LoadError> {
    let mut p = parse(src);
    let n = p.groups.len();

    // Every child must be a defined group; `[g:vars]` needs `g` defined too.
    let mut edges: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (gi, group_edges) in edges.iter_mut().enumerate() {
        for (child, line) in p.groups[gi].children.clone() {
            match p.group_ix.get(&child).copied() {
                Some(ci) if p.groups[ci].defined && ci != 0 => group_edges.push((ci, line)),
                Some(0) => p.err(line, "`all` cannot be a child group"),
                _ => {
                    let parent = p.groups[gi].name.clone();
                    p.err(
                        line,
                        format!("[{parent}:children] names `{child}`, a group that is never defined (add a [{child}] section)"),
                    );
                }
            }
        }
        if let (false, Some(l)) = (p.groups[gi].defined, p.groups[gi].vars_line) {
            let name = p.groups[gi].name.clone();
            p.err(l, format!("[{name}:vars] is for group `{name}`, which is never defined (add a [{name}] section)"));
        }
    }
    if let Some((line, msg)) = find_cycle(&p.groups, &edges) {
        p.err(line, msg);
    }
    if !p.problems.is_empty() {
        return Err(fail(file_name, p.problems));
    }

    // Depth: `all` is 0, top-level groups 1, a child one deeper than its deepest parent.
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (gi, es) in edges.iter().enumerate() {
        for &(ci, _) in es {
            parents[ci].push(gi);
        }
    }
    let mut depth: Vec<Option<usize>> = vec![None; n];
    for gi in 0..n {
        group_depth(gi, &parents, &mut depth);
    }
    // Members: own hosts, then the children's, recursively.
    let mut members: Vec<Option<Vec<String>>> = vec![None; n];
    for gi in 0..n {
        group_members(gi, &p.groups, &edges, &mut members);
    }
    let members: Vec<Vec<String>> = members.into_iter().map(Option::unwrap_or_default).collect();
    let member_sets: Vec<BTreeSet<&str>> = members
        .iter()
        .map(|m| m.iter().map(String::as_str).collect())
        .collect();

    // Resolve each host's vars: all < shallower groups < deeper groups < host vars.
    let mut problems: Vec<(Option<usize>, String)> = Vec::new();
    // The same group var is wrong for every host of its groups: listed once (a set, not a scan of
    // the list, so 100,000 hosts stay linear).
    let mut seen: std::collections::HashSet<(Option<usize>, String)> =
        std::collections::HashSet::new();
    let mut pairs: Vec<(String, Option<PathBuf>)> = Vec::new();
    let mut hosts = Vec::new();
    let mut host_pairs: Vec<Option<usize>> = Vec::new();
    for h in &p.hosts {
        let mut gs: Vec<usize> = (1..n)
            .filter(|&gi| member_sets[gi].contains(h.name.as_str()))
            .collect();
        gs.sort_by_key(|&gi| (depth[gi].unwrap_or(1), gi));
        let mut vars: BTreeMap<&str, &Var> = BTreeMap::new();
        let group_vars = std::iter::once(0)
            .chain(gs)
            .flat_map(|gi| p.groups[gi].vars.iter());
        for v in group_vars.chain(&h.vars) {
            vars.insert(canonical(&v.key), v);
        }
        let get = |key: &str| vars.get(key).copied();
        let address = get("ansible_host")
            .map(|v| v.value.clone())
            .unwrap_or_else(|| h.name.clone());
        let port = match get("ansible_port") {
            None => 22,
            Some(v) => match v.value.parse::<u16>() {
                Ok(p) if p > 0 => p,
                _ => {
                    let msg = format!("{} `{}` is not a port number (1-65535)", v.key, v.value);
                    if seen.insert((Some(v.line), msg.clone())) {
                        problems.push((Some(v.line), msg));
                    }
                    22
                }
            },
        };
        let connection = match get("ansible_connection").map(|v| (v, v.value.as_str())) {
            Some((_, "local")) => Connection::Local,
            None | Some((_, "ssh" | "smart" | "paramiko" | "paramiko_ssh")) => Connection::Ssh,
            Some((v, other)) => {
                let msg = format!(
                    "{} `{other}` (host `{}`) is not supported: opsdeck runs steps over ssh or \
                     locally only; use `ssh` or `local`, or leave the host out",
                    v.key, h.name
                );
                if seen.insert((Some(v.line), msg.clone())) {
                    problems.push((Some(v.line), msg));
                }
                Connection::Ssh
            }
        };
        let user = get("ansible_user").map(|v| v.value.clone());
        let key = get("ansible_ssh_private_key_file").map(|v| PathBuf::from(&v.value));
        let pair_ix = user.map(|u| {
            let pair = (u, key);
            match pairs.iter().position(|x| *x == pair) {
                Some(i) => i,
                None => {
                    pairs.push(pair);
                    pairs.len() - 1
                }
            }
        });
        host_pairs.push(pair_ix);
        hosts.push(Host {
            name: h.name.clone(),
            address,
            port,
            exec_user: None,
            connection,
        });
    }
    if !problems.is_empty() {
        return Err(fail(file_name, problems));
    }

    // Exec users: alias = user name, or user-1, user-2… when one user comes with several keys.
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    for (u, _) in &pairs {
        *per_user.entry(u.as_str()).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let exec_users: Vec<ExecUser> = pairs
        .iter()
        .map(|(u, key)| {
            let alias = if per_user.get(u.as_str()).copied().unwrap_or(0) > 1 {
                let n = seen.entry(u.as_str()).or_default();
                *n += 1;
                format!("{u}-{n}")
            } else {
                u.clone()
            };
            ExecUser {
                alias,
                user: u.clone(),
                key: key.clone(),
            }
        })
        .collect();
    for (h, pi) in hosts.iter_mut().zip(&host_pairs) {
        h.exec_user = pi.map(|i| exec_users[i].alias.clone());
    }

    // Tags: every group but `all`; `ungrouped` holds hosts in no other group, and only if any.
    let mut tags = Vec::new();
    let mut tag_lines = Vec::new();
    for (gi, g) in p.groups.iter().enumerate().skip(1) {
        let mut hs = members[gi].clone();
        if g.name == "ungrouped" {
            hs.retain(|h| !(2..n).any(|o| member_sets[o].contains(h.as_str())));
            if hs.is_empty() {
                continue;
            }
        }
        tags.push(Tag {
            name: g.name.clone(),
            hosts: hs,
            proxy: None,
            databases: Vec::new(),
            users: Vec::new(),
            windows: Vec::new(),
            outside_window: Default::default(),
            sql_via: Default::default(),
            max_update_rows: None,
            osc_min_table_mb: None,
            osc_args: Vec::new(),
        });
        tag_lines.push(g.line);
    }
    let inv = Inventory {
        exec_users,
        hosts,
        tags,
        ..Default::default()
    };
    if let Err(invalid) = inv.validate() {
        let host_lines: Vec<usize> = p.hosts.iter().map(|h| h.line).collect();
        let mut problems: Vec<(Option<usize>, String)> = invalid
            .0
            .iter()
            .take(super::MAX_PROBLEMS)
            .map(|e| {
                let (line, what) = describe(&e.field, &inv, &host_lines, &tag_lines);
                (line, format!("{what}: {}", e.message))
            })
            .collect();
        if invalid.0.len() > super::MAX_PROBLEMS {
            problems.push((None, more_problems(invalid.0.len() - super::MAX_PROBLEMS)));
        }
        return Err(fail(file_name, problems));
    }
    Ok(inv)
}

/// The one name of a var that Ansible spells several ways, so the most specific setting wins
/// whichever spelling it uses.
fn canonical(key: &str) -> &str {
    match key {
        "ansible_ssh_host" => "ansible_host",
        "ansible_ssh_port" => "ansible_port",
        "ansible_ssh_user" => "ansible_user",
        "ansible_private_key_file" => "ansible_ssh_private_key_file",
        k => k,
    }
}

/// Reads and imports an Ansible INI inventory file.
pub fn load_ansible_file(path: impl AsRef<Path>) -> Result<Inventory, LoadError> {
    let path = path.as_ref();
    let src = super::read_source(path)?;
    load_ansible_str(&src, &path.display().to_string())
}

fn more_problems(n: usize) -> String {
    format!(
        "… and {n} more problems (only the first {} are listed)",
        super::MAX_PROBLEMS
    )
}

/// The problems by line; past [`super::MAX_PROBLEMS`] the rest are counted, not listed.
fn fail(file: &str, mut problems: Vec<(Option<usize>, String)>) -> LoadError {
    problems.sort_by_key(|(l, _)| l.unwrap_or(usize::MAX));
    if problems.len() > super::MAX_PROBLEMS + 1 {
        let more = problems.len() - super::MAX_PROBLEMS;
        problems.truncate(super::MAX_PROBLEMS);
        problems.push((None, more_problems(more)));
    }
    LoadError {
        file: file.to_string(),
        problems,
    }
}

/// Names the INI thing a validation field path refers to, and its line.
fn describe(
    field: &str,
    inv: &Inventory,
    host_lines: &[usize],
    tag_lines: &[usize],
) -> (Option<usize>, String) {
    let index = |prefix: &str| -> Option<usize> {
        field.strip_prefix(prefix)?.split(']').next()?.parse().ok()
    };
    if let Some(i) = index("hosts[") {
        let name = inv.hosts.get(i).map(|h| h.name.as_str()).unwrap_or("?");
        return (host_lines.get(i).copied(), format!("host `{name}`"));
    }
    if let Some(i) = index("tags[") {
        let name = inv.tags.get(i).map(|t| t.name.as_str()).unwrap_or("?");
        return (
            tag_lines.get(i).copied().filter(|l| *l > 0),
            format!("group `{name}`"),
        );
    }
    if let Some(i) = index("exec_users[") {
        let alias = inv
            .exec_users
            .get(i)
            .map(|u| u.alias.as_str())
            .unwrap_or("?");
        let line = inv
            .hosts
            .iter()
            .position(|h| h.exec_user.as_deref() == Some(alias))
            .and_then(|hi| host_lines.get(hi).copied());
        return (line, format!("ansible_user `{alias}`"));
    }
    (None, field.to_string())
}

/// The first `[x:children]` edge that closes a cycle, as (line, message).
fn find_cycle(groups: &[Group], edges: &[Vec<(usize, usize)>]) -> Option<(usize, String)> {
    // 0 = unvisited, 1 = on the current path, 2 = done.
    fn visit(
        g: usize,
        groups: &[Group],
        edges: &[Vec<(usize, usize)>],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<(usize, String)> {
        state[g] = 1;
        path.push(g);
        for &(c, line) in &edges[g] {
            if state[c] == 1 {
                let start = path.iter().position(|&x| x == c).unwrap_or(0);
                let mut names: Vec<&str> = path[start..]
                    .iter()
                    .map(|&x| groups[x].name.as_str())
                    .collect();
                names.push(groups[c].name.as_str());
                return Some((
                    line,
                    format!("groups nest in a cycle: {}", names.join(" → ")),
                ));
            }
            if state[c] == 0
                && let Some(found) = visit(c, groups, edges, state, path)
            {
                return Some(found);
            }
        }
        path.pop();
        state[g] = 2;
        None
    }
    let mut state = vec![0u8; groups.len()];
    for g in 0..groups.len() {
        if state[g] == 0
            && let Some(found) = visit(g, groups, edges, &mut state, &mut Vec::new())
        {
            return Some(found);
        }
    }
    None
}

fn group_depth(g: usize, parents: &[Vec<usize>], memo: &mut [Option<usize>]) -> usize {
    if let Some(d) = memo[g] {
        return d;
    }
    let d = if g == 0 {
        0
    } else {
        parents[g]
            .iter()
            .filter(|&&p| p != 0)
            .map(|&p| group_depth(p, parents, memo) + 1)
            .max()
            .unwrap_or(1)
    };
    memo[g] = Some(d);
    d
}

fn group_members(
    g: usize,
    groups: &[Group],
    edges: &[Vec<(usize, usize)>],
    memo: &mut [Option<Vec<String>>],
) -> Vec<String> {
    if let Some(m) = &memo[g] {
        return m.clone();
    }
    let mut out = groups[g].hosts.clone();
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    for &(c, _) in &edges[g] {
        for h in group_members(c, groups, edges, memo) {
            if seen.insert(h.clone()) {
                out.push(h);
            }
        }
    }
    memo[g] = Some(out.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(src: &str) -> Result<Inventory, LoadError> {
        load_ansible_str(src, "hosts.ini")
    }

    fn err(src: &str) -> String {
        load(src).unwrap_err().to_string()
    }

    #[test]
    fn the_production_fixture_imports() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/ansible/production.ini"
        );
        let inv = load_ansible_file(path).unwrap();
        assert_eq!(inv.hosts.len(), 24);
        let h = |n: &str| inv.host(n).unwrap_or_else(|| panic!("no host {n}"));

        let b = h("bastion.example.com");
        assert_eq!((b.address.as_str(), b.port), ("203.0.113.5", 2222));
        assert_eq!(b.exec_user.as_deref(), Some("deploy"));
        let l = h("localhost");
        assert_eq!(l.connection, Connection::Local);
        assert_eq!(l.address, "127.0.0.1");
        assert_eq!(h("web01.example.com").connection, Connection::Ssh);
        assert_eq!(h("web01.example.com").address, "web01.example.com");
        assert_eq!(h("web12.example.com").port, 22);
        assert!(inv.host("web1.example.com").is_none());
        let c = h("web-canary.example.com");
        assert_eq!(c.address, "10.0.0.99");
        assert_eq!(c.exec_user.as_deref(), Some("canary"));
        assert_eq!(
            h("api-a.example.com").port,
            2200,
            "host vars beat group vars"
        );
        assert_eq!(h("api-d.example.com").port, 2200);
        assert_eq!(h("api-legacy.example.com").port, 2022);
        let d1 = h("db01.example.com");
        assert_eq!((d1.address.as_str(), d1.port), ("10.0.1.1", 2201));
        assert_eq!(d1.exec_user.as_deref(), Some("dbadmin-1"));
        for n in ["db02.example.com", "db04.example.com", "db06.example.com"] {
            assert_eq!(h(n).port, 2202, "child group vars beat parent vars: {n}");
            assert_eq!(h(n).exec_user.as_deref(), Some("dbadmin-2"));
        }
        assert!(inv.host("db03.example.com").is_none());

        let users: Vec<(&str, &str, Option<&str>)> = inv
            .exec_users
            .iter()
            .map(|u| {
                (
                    u.alias.as_str(),
                    u.user.as_str(),
                    u.key.as_deref().and_then(|k| k.to_str()),
                )
            })
            .collect();
        assert_eq!(
            users,
            vec![
                ("deploy", "deploy", Some("~/.ssh/deploy_ed25519")),
                ("canary", "canary", Some("~/.ssh/deploy_ed25519")),
                ("dbadmin-1", "dbadmin", Some("~/.ssh/db_admin")),
                ("dbadmin-2", "dbadmin", Some("~/.ssh/replica key")),
            ]
        );

        let names: Vec<&str> = inv.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "ungrouped",
                "web",
                "api",
                "db_primary",
                "db_replica",
                "db",
                "frontend",
                "prod"
            ]
        );
        let tag = |n: &str| inv.tag(n).unwrap();
        assert_eq!(
            tag("ungrouped").hosts,
            vec!["bastion.example.com", "localhost"]
        );
        assert_eq!(tag("web").hosts.len(), 13);
        assert_eq!(tag("web").hosts[0], "web01.example.com");
        assert_eq!(tag("api").hosts.len(), 5);
        assert_eq!(
            tag("db").hosts,
            vec![
                "db01.example.com",
                "db02.example.com",
                "db04.example.com",
                "db06.example.com"
            ]
        );
        assert_eq!(tag("frontend").hosts.len(), 18);
        assert_eq!(tag("prod").hosts.len(), 22);
        assert!(!tag("prod").hosts.contains(&"localhost".to_string()));
    }

    #[test]
    fn ranges_expand_with_padding_letters_and_steps() {
        assert_eq!(
            expand_range("web[01:03].x").unwrap(),
            vec!["web01.x", "web02.x", "web03.x"]
        );
        assert_eq!(expand_range("n[8:10]").unwrap(), vec!["n8", "n9", "n10"]);
        assert_eq!(
            expand_range("db-[a:c]").unwrap(),
            vec!["db-a", "db-b", "db-c"]
        );
        assert_eq!(expand_range("h[0:10:5]").unwrap(), vec!["h0", "h5", "h10"]);
        assert_eq!(expand_range("h[:2]").unwrap(), vec!["h0", "h1", "h2"]);
        assert_eq!(
            expand_range("r[1:2]c[a:b]").unwrap(),
            vec!["r1ca", "r1cb", "r2ca", "r2cb"]
        );
        for bad in [
            "h[3:1]",
            "h[1:]",
            "h[1]",
            "h[01:100]",
            "h[a:3]",
            "h[1:3:0]",
            "h[1:3",
            "h[aa:b]",
            "h[1:2:3:4]",
            "h]",
        ] {
            assert!(expand_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_host_in_several_groups_is_one_host() {
        let inv = load("[a]\nh1\n[b]\nh1 ansible_port=2022\nh2\n").unwrap();
        assert_eq!(inv.hosts.len(), 2);
        assert_eq!(inv.host("h1").unwrap().port, 2022);
        assert_eq!(inv.tag("a").unwrap().hosts, vec!["h1"]);
        assert_eq!(inv.tag("b").unwrap().hosts, vec!["h1", "h2"]);
        assert!(inv.tag("ungrouped").is_none());
        assert!(inv.exec_users.is_empty());
        let e = err("[ungrouped]\nbad/host\n[x]\n");
        assert!(e.starts_with("hosts.ini:2: host `bad/host`"), "{e}");
        let inv = load("[all]\nh0\n[ungrouped]\nh1\n").unwrap();
        assert_eq!(inv.hosts.len(), 2);
        assert_eq!(inv.tag("ungrouped").unwrap().hosts, vec!["h1"]);
        assert!(inv.tag("all").is_none());
    }

    #[test]
    fn a_key_without_a_user_is_ignored_and_identical_pairs_are_shared() {
        let inv =
            load("[a]\nh1 ansible_ssh_private_key_file=/k\nh2 ansible_user=u\nh3 ansible_user=u\n")
                .unwrap();
        assert_eq!(inv.host("h1").unwrap().exec_user, None);
        assert_eq!(inv.exec_users.len(), 1);
        assert_eq!(inv.exec_users[0].alias, "u");
        assert_eq!(inv.exec_users[0].key, None);
        assert_eq!(inv.host("h3").unwrap().exec_user.as_deref(), Some("u"));
    }

    #[test]
    fn a_bad_range_is_reported_with_its_line() {
        let e = err("[web]\nweb01\nweb[05:01].example.com\n");
        assert!(
            e.starts_with("hosts.ini:3: bad host range in `web[05:01].example.com`"),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_section_suffix_is_reported() {
        let e = err("[web]\nw1\n\n[web:hosts]\nw2\n");
        assert!(
            e.starts_with("hosts.ini:4: unknown section suffix `:hosts`"),
            "{e}"
        );
        assert!(e.contains("[web:children]"), "{e}");
    }

    #[test]
    fn an_undefined_child_group_is_reported() {
        let e = err("[web]\nw1\n[all_web:children]\nweb\nwbe\n");
        assert_eq!(
            e,
            "hosts.ini:5: [all_web:children] names `wbe`, a group that is never defined (add a [wbe] section)"
        );
    }

    #[test]
    fn vars_for_an_undefined_group_are_reported() {
        let e = err("[web]\nw1\n[wbe:vars]\nx=1\n");
        assert!(e.starts_with("hosts.ini:3: [wbe:vars]"), "{e}");
    }

    #[test]
    fn a_cycle_is_reported_with_the_closing_line() {
        let e = err("[a:children]\nb\n[b:children]\nc\n[c:children]\na\n[c]\nh1\n");
        assert_eq!(e, "hosts.ini:6: groups nest in a cycle: a → b → c → a");
        let e = err("[a:children]\na\n");
        assert!(
            e.starts_with("hosts.ini:2: groups nest in a cycle: a → a"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_port_is_reported_where_it_is_set() {
        let e = err("[web]\nw1 ansible_port=http\n");
        assert_eq!(
            e,
            "hosts.ini:2: ansible_port `http` is not a port number (1-65535)"
        );
        let e = err("[web]\nw1\nw2\n[web:vars]\nansible_port=70000\n");
        assert_eq!(
            e,
            "hosts.ini:5: ansible_port `70000` is not a port number (1-65535)"
        );
        let e = err("w1:0\n");
        assert!(e.starts_with("hosts.ini:1: ansible_port `0`"), "{e}");
    }

    #[test]
    fn a_var_line_without_equals_is_reported() {
        let e = err("[web]\nw1\n[web:vars]\nansible_user deploy\n");
        assert_eq!(
            e,
            "hosts.ini:4: `ansible_user deploy` in [web:vars] is not a variable: expected `key=value`"
        );
    }

    #[test]
    fn all_problems_are_collected() {
        let e = load("[web]\nw[1:]\n[web:nope]\n[x:children]\ny\n").unwrap_err();
        let lines: Vec<Option<usize>> = e.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(5)], "{e}");
    }

    #[test]
    fn host_line_details() {
        let e = err("[web]\nw1 stray\n");
        assert!(e.starts_with("hosts.ini:2: `stray` after host `w1`"), "{e}");
        let e = err("[web]\nw1 ansible_host=\"10.0.0.1\n");
        assert!(e.starts_with("hosts.ini:2: unclosed quote"), "{e}");
        let e = err("[web\nw1\n");
        assert!(
            e.starts_with("hosts.ini:1: `[web` is not a section header"),
            "{e}"
        );
        let inv = load("[web]  # the web tier\nw1 ansible_host='10.0.0.1' # first\n").unwrap();
        assert_eq!(inv.hosts[0].address, "10.0.0.1");
        let e = err("[web]\nbad/host\n");
        assert!(e.starts_with("hosts.ini:2: host `bad/host`: "), "{e}");
    }

    #[test]
    fn vars_precedence_with_nesting() {
        let src = "[leaf]\nh1\nh2 v=h\n[mid:children]\nleaf\n[top:children]\nmid\n\
                   [top:vars]\nansible_port=1001\nansible_user=top\n[mid:vars]\nansible_port=1002\n\
                   [all:vars]\nansible_port=1000\nansible_user=all\nansible_host=shared\n";
        let inv = load(src).unwrap();
        let h1 = inv.host("h1").unwrap();
        assert_eq!(h1.port, 1002);
        assert_eq!(h1.exec_user.as_deref(), Some("top"));
        assert_eq!(h1.address, "shared");
        assert_eq!(inv.tag("top").unwrap().hosts, vec!["h1", "h2"]);
    }
}

#[cfg(test)]
mod bounded_tests {
    use super::load_ansible_str;

    /// Found by fuzzing: one bad range line brought 40,000 invalid hosts and a quadratic
    /// de-duplication of their problems; the list is now capped and the load stays fast.
    #[test]
    fn a_range_of_bad_hosts_is_reported_briefly_and_quickly() {
        let src = "[web]\nweb[1:200]x&y[0:199]z ansible_connection=winrm\n";
        let t = std::time::Instant::now();
        let e = load_ansible_str(src, "bad.ini").unwrap_err();
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(e.problems.len(), super::super::MAX_PROBLEMS + 1, "{e}");
        let last = &e.problems.last().unwrap().1;
        assert!(last.contains("more problems"), "{last}");
    }
}
