//! Task template files: parse TOML into a [`Template`], validate it, and report every problem as
//! `file:line: message`.

use std::path::Path;

use crate::inventory::LoadError;
use crate::model::Template;
use crate::tomlpos;

/// Parses and validates a template; `file_name` only labels errors.
pub fn load_template_str(src: &str, file_name: &str) -> Result<Template, LoadError> {
    let tpl: Template =
        toml::from_str(src).map_err(|e| LoadError::from_toml(file_name, src, &e))?;
    tpl.validate()
        .map_err(|e| LoadError::from_invalid(file_name, &e, |f| tomlpos::line_of(src, f)))?;
    Ok(tpl)
}

/// The warnings of a loaded template as `file:line: field: message` lines.
pub fn template_warnings(tpl: &Template, src: &str, file_name: &str) -> Vec<String> {
    tpl.warnings()
        .0
        .iter()
        .map(|e| match tomlpos::line_of(src, &e.field) {
            Some(l) => format!("{file_name}:{l}: {}: {}", e.field, e.message),
            None => format!("{file_name}: {}: {}", e.field, e.message),
        })
        .collect()
}

/// Reads, parses and validates a template file.
pub fn load_template_file(path: impl AsRef<Path>) -> Result<Template, LoadError> {
    let path = path.as_ref();
    let src = std::fs::read_to_string(path).map_err(|e| {
        LoadError::one(
            &path.display().to_string(),
            None,
            format!("cannot read the file: {e}"),
        )
    })?;
    load_template_str(&src, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Trigger;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/templates");

    fn load(name: &str) -> Result<Template, LoadError> {
        load_template_file(format!("{FIXTURES}/{name}"))
    }

    fn err(name: &str) -> String {
        let e = load(name).unwrap_err().to_string();
        // Error lines carry the full path; tests compare from the file name on.
        e.lines()
            .map(|l| l.strip_prefix(&format!("{FIXTURES}/")).unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_good_template_loads() {
        let t = load("publish.toml").unwrap();
        assert_eq!(t.id, 9100);
        assert_eq!(t.group_count(), 2);
        assert_eq!(t.steps[1].trigger, Trigger::Timed);
        assert_eq!(t.steps[2].trigger, Trigger::Manual);
        assert!(t.secret_args().contains("REGISTRY_TOKEN"));
    }

    #[test]
    fn the_design_examples_load() {
        for name in [
            "template-app-publish.toml",
            "template-node-add.toml",
            "template-sql-audit.toml",
        ] {
            let p = format!("/work/shared/examples/{name}");
            if !std::path::Path::new(&p).exists() {
                continue;
            }
            // The sketches may use module-provided args (app publish's `PUBLISH_NAME`) that the
            // model does not know yet; whatever is reported must at least carry a line.
            if let Err(e) = load_template_file(&p) {
                assert!(e.problems.iter().all(|(l, _)| l.is_some()), "{e}");
            }
        }
    }

    #[test]
    fn a_gap_in_groups_points_at_the_steps() {
        assert_eq!(
            err("bad_gap.toml"),
            "bad_gap.toml:5: steps: host groups must be numbered 1..3 without gaps; group 2 has no step"
        );
    }

    #[test]
    fn an_undeclared_placeholder_points_at_its_command() {
        let e = err("bad_placeholder.toml");
        assert!(
            e.starts_with(
                "bad_placeholder.toml:19: steps[1].command: placeholder `${VERSON}` is not declared"
            ),
            "{e}"
        );
    }

    #[test]
    fn an_unknown_trigger_points_at_its_line() {
        let e = err("bad_trigger.toml");
        assert!(e.starts_with("bad_trigger.toml:9: "), "{e}");
        assert!(e.contains("order"), "{e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }

    #[test]
    fn a_duplicate_level_points_at_the_second_level() {
        assert_eq!(
            err("bad_level.toml"),
            "bad_level.toml:13: steps[1].level: group 1 already has a step at level 1"
        );
    }

    #[test]
    fn malformed_toml_points_at_its_line() {
        let e = err("bad_syntax.toml");
        assert!(e.starts_with("bad_syntax.toml:6: "), "{e}");
    }

    #[test]
    fn several_problems_come_in_line_order() {
        let src = "id = 0\nname = \"t\"\n\n[[steps]]\ngroup = 1\nlevel = 0\nname = \"a\"\ncommand = \"true\"\ntimeout = \"soon\"\n";
        let e = load_template_str(src, "t.toml").unwrap_err();
        let lines: Vec<Option<usize>> = e.problems.iter().map(|p| p.0).collect();
        assert_eq!(lines, vec![Some(1), Some(6), Some(9)], "{e}");
    }

    #[test]
    fn a_missing_file_is_reported() {
        let e = load_template_file("/nonexistent/t.toml").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/t.toml: cannot read"),
            "{e}"
        );
    }
}
