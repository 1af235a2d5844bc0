//! Turning a step into what runs: `${ARG}` substitution with shell quoting, stdin assembly, secret masking.

use std::collections::BTreeMap;

use crate::model::Step;

/// Substitutes every `${NAME}` with the shell-quoted value of `NAME`; unknown names become `''`.
pub fn render_command(command: &str, args: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                let value = args.get(name).map(String::as_str).unwrap_or("");
                out.push_str(&quote(value));
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The orphan guard every step starts with: a tiny watcher, outside the step's command line
/// (so `ps` shows it as `opsdeck-orphan-guard`), that polls once a second whether the step's
/// shell (`$$`, the step's process group) and the process that started it (`$PPID`: the engine
/// for a local step, the sshd session for a remote one) still exist. When the starter is gone
/// while the step still runs (the engine was killed, the connection dropped), it kills the whole
/// group, so no step outlives its engine and a retry never runs next to an old copy.
pub const ORPHAN_GUARD: &str = "/bin/sh -c 'while kill -0 \"$2\" 2>/dev/null && kill -0 \"$1\" 2>/dev/null; \
do sleep 1; done; kill -0 \"$1\" 2>/dev/null && kill -KILL -\"$1\"' opsdeck-orphan-guard \"$$\" \"$PPID\" \
</dev/null >/dev/null 2>&1 &";

/// `command` for `sh -c`: the orphan guard, then the command itself in the same process.
pub fn guarded(command: &str) -> String {
    format!("{ORPHAN_GUARD}\nexec /bin/sh -c {}", quote(command))
}

/// One shell word holding exactly `value` (POSIX single quotes; `''` for empty).
pub fn quote(value: &str) -> String {
    if value.is_empty() {
        return "''".to_string();
    }
    shell_escape::unix::escape(value.into()).into_owned()
}

/// The bytes written to a step's stdin: each listed arg's value followed by a newline.
pub fn stdin_bytes(step: &Step, args: &BTreeMap<String, String>) -> Option<Vec<u8>> {
    if step.stdin.is_empty() {
        return None;
    }
    let mut buf = Vec::new();
    for name in &step.stdin {
        if let Some(v) = args.get(name) {
            buf.extend_from_slice(v.as_bytes());
        }
        if !buf.ends_with(b"\n") {
            buf.push(b'\n');
        }
    }
    Some(buf)
}

/// The spellings of `value` a log line may hold: itself, shell-quoted, JSON-escaped (UTF-8 and
/// ASCII-only, as Python's `json.dumps` writes it) and URL-encoded (`%20` and `+` for spaces,
/// upper- and lower-case hex).
pub fn printed_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string(), quote(value)];
    if let Ok(j) = serde_json::to_string(value) {
        forms.push(j[1..j.len() - 1].to_string());
    }
    let mut ascii = String::new();
    for c in value.chars() {
        match c {
            '"' => ascii.push_str("\\\""),
            '\\' => ascii.push_str("\\\\"),
            '\n' => ascii.push_str("\\n"),
            '\t' => ascii.push_str("\\t"),
            '\r' => ascii.push_str("\\r"),
            c if c.is_ascii() && !c.is_ascii_control() => ascii.push(c),
            c => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    ascii.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    forms.push(ascii);
    let url = |space_plus: bool, lower: bool| -> String {
        let mut out = String::new();
        for b in value.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(b));
                }
                b' ' if space_plus => out.push('+'),
                b if lower => out.push_str(&format!("%{b:02x}")),
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    for (plus, lower) in [(false, false), (true, false), (false, true), (true, true)] {
        forms.push(url(plus, lower));
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Replaces every occurrence of the secret values in log text by `******`.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Vec<String>,
}

pub use crate::model::MASK;

impl Masker {
    /// Secrets shorter than 3 characters are still masked; empty ones are ignored.
    pub fn new<I: IntoIterator<Item = String>>(secrets: I) -> Masker {
        let raw: Vec<String> = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        // Every form a value is printed in: as given, shell-quoted (the step-start line shows
        // the rendered command), JSON-escaped and URL-encoded (what a step may echo).
        let mut secrets: Vec<String> = raw.iter().flat_map(|s| printed_forms(s)).collect();
        // Multi-line secrets are masked line by line too, since logs are split into lines.
        let parts: Vec<String> = secrets
            .iter()
            .flat_map(|s| s.lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|s| !s.trim().is_empty())
            .collect();
        secrets.extend(parts);
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Masker { secrets }
    }

    /// This masker plus more secrets.
    pub fn with<I: IntoIterator<Item = String>>(&self, more: I) -> Masker {
        Masker::new(self.secrets.iter().cloned().chain(more))
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn values_are_single_shell_words() {
        let a = args(&[
            ("A", "'; touch /tmp/pwned; '"),
            ("B", "x y"),
            ("C", "plain"),
        ]);
        let cmd = render_command("echo ${A} ${B} ${C} ${MISSING}", &a);
        assert_eq!(cmd, r#"echo ''\''; touch /tmp/pwned; '\''' 'x y' plain ''"#);
    }

    #[test]
    fn injection_attempts_stay_data_when_run_by_sh() {
        let evil = [
            "'; touch /tmp/opsdeck-pwned-render; '",
            "$(touch /tmp/opsdeck-pwned-render)",
            "`touch /tmp/opsdeck-pwned-render`",
            "a\nb; touch /tmp/opsdeck-pwned-render",
            "\\'",
        ];
        for e in evil {
            let cmd = render_command("printf %s ${V}", &args(&[("V", e)]));
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(&cmd)
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), e, "{cmd}");
        }
        assert!(!std::path::Path::new("/tmp/opsdeck-pwned-render").exists());
    }

    #[test]
    fn secrets_are_masked_everywhere_in_a_line() {
        let m = Masker::new([
            "hunter2".to_string(),
            String::new(),
            "line1\nline2".to_string(),
        ]);
        assert_eq!(m.mask("pw=hunter2 again hunter2"), "pw=****** again ******");
        assert_eq!(m.mask("got line2"), "got ******");
        assert_eq!(m.mask("nothing here"), "nothing here");
    }

    #[test]
    fn every_printed_form_of_a_secret_is_masked() {
        let secrets = [
            "pa'ss",
            "pa\"ss",
            "back\\slash",
            "$HOME$(id)",
            "two\nlines",
            "tab\there",
            "密码口令",
            "sp ace&x=1",
        ];
        for secret in secrets {
            let m = Masker::new([secret.to_string()]);
            let args = BTreeMap::from([("T".to_string(), secret.to_string())]);
            let rendered = render_command("run --token ${T} --x", &args);
            assert_eq!(m.mask(&rendered), "run --token ****** --x", "{secret:?}");
            let json = serde_json::json!({ "t": secret }).to_string();
            assert_eq!(m.mask(&json), r#"{"t":"******"}"#, "{secret:?}");
            for form in printed_forms(secret) {
                let line = format!("<{form}>");
                assert_eq!(m.mask(&line), "<******>", "{secret:?} as {form:?}");
            }
        }
        // The URL forms, as a step would print them.
        let m = Masker::new(["sp ace&x=1".to_string()]);
        assert_eq!(m.mask("?t=sp+ace%26x%3D1"), "?t=******");
        assert_eq!(m.mask("?t=sp%20ace%26x%3d1"), "?t=******");
        // A secret inside a longer value is masked there too; the longer secret first.
        let m = Masker::new(["abc".to_string(), "xxabcxx".to_string()]);
        assert_eq!(m.mask("v=zabcz w=xxabcxx"), "v=z******z w=******");
    }

    #[test]
    fn stdin_joins_values_with_newlines() {
        let step: Step = toml::from_str(
            "group = 1\nlevel = 1\nname = \"x\"\ncommand = \"cat\"\nstdin = [\"P\", \"SQL\"]",
        )
        .unwrap();
        let b = stdin_bytes(
            &step,
            &args(&[("P", "pw"), ("SQL", "select 1;\nselect 2;")]),
        )
        .unwrap();
        assert_eq!(b, b"pw\nselect 1;\nselect 2;\n");
    }
}
