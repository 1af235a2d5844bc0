//! Module form drafts: what a form holds, by field name, as JSON kept per module in the data
//! directory (`drafts/<module>.json`), so typed input survives a quit and a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{FormState, Module};
use crate::modules::ModuleContext;
use crate::tui::widgets::field::{KvRow, Value};

/// One field's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftValue {
    Text(String),
    Chosen(Vec<String>),
    Rows(Vec<(String, String)>),
}

/// A form's fields by name.
pub type Draft = BTreeMap<String, DraftValue>;

impl FormState {
    /// What the form holds now.
    pub fn draft(&self) -> Draft {
        self.fields
            .list
            .iter()
            .map(|f| {
                let v = match &f.value {
                    Value::Multi { .. } => DraftValue::Chosen(f.chosen()),
                    Value::Kv { rows, .. } => DraftValue::Rows(
                        rows.iter()
                            // Secrets are never written to disk.
                            .map(|r| {
                                let v = if r.secret {
                                    String::new()
                                } else {
                                    r.value.clone()
                                };
                                (r.key.clone(), v)
                            })
                            .collect(),
                    ),
                    _ => DraftValue::Text(f.as_text()),
                };
                (f.name.to_string(), v)
            })
            .collect()
    }

    /// Puts a draft back: options that no longer exist are skipped; declared arg rows come back
    /// from the template with the saved values.
    pub fn restore(&mut self, d: &Draft, ctx: &ModuleContext) {
        for f in &mut self.fields.list {
            let Some(v) = d.get(f.name) else { continue };
            match (v, &f.value) {
                (DraftValue::Rows(rows), Value::Kv { .. }) => f.set_rows(
                    rows.iter()
                        .map(|(k, v)| KvRow {
                            key: k.clone(),
                            value: v.clone(),
                            ..Default::default()
                        })
                        .collect(),
                ),
                (DraftValue::Chosen(c), Value::Multi { .. }) => c.iter().for_each(|o| f.choose(o)),
                (DraftValue::Text(t), Value::Select { .. }) if t.is_empty() => {}
                (DraftValue::Text(t), _) => f.choose(t),
                _ => {}
            }
        }
        self.fields.memo = None;
        self.dirty = true;
        self.needs_check = true;
        self.changed(ctx);
    }
}

/// `DATA_DIR/drafts/<module>.json`.
pub fn path(data_dir: &Path, m: Module) -> PathBuf {
    data_dir.join("drafts").join(format!("{}.json", m.word()))
}

/// Writes a form's draft (or removes it: `None`).
pub fn save(data_dir: &Path, m: Module, d: Option<&Draft>) -> std::io::Result<()> {
    let p = path(data_dir, m);
    match d {
        Some(d) => {
            std::fs::create_dir_all(data_dir.join("drafts"))?;
            let json = serde_json::to_string_pretty(d).map_err(std::io::Error::other)?;
            std::fs::write(&p, json)
        }
        None => match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        },
    }
}

/// Every saved draft, and a message for each one that does not parse (skipped, left on disk).
pub fn load_all(data_dir: &Path) -> (BTreeMap<Module, Draft>, Vec<String>) {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for m in Module::ALL {
        let p = path(data_dir, m);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        match serde_json::from_str(&text) {
            Ok(d) => {
                out.insert(m, d);
            }
            Err(e) => errors.push(format!("{}: {e}", p.display())),
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Lang;
    use crate::modules::testutil::ctx;
    use crate::tui::forms::template_option;

    #[test]
    fn a_draft_round_trips_through_the_data_dir() {
        let c = ctx();
        let mut s = FormState::new(Module::Custom, Lang::En, &c);
        s.field_mut("tag").unwrap().choose("web");
        s.field_mut("template")
            .unwrap()
            .choose(&template_option(1, "codo example"));
        s.changed(&c);
        if let Value::Kv { rows, .. } = &mut s.field_mut("args").unwrap().value {
            rows[0].value = "v9".into();
        }
        s.field_mut("exec_time").unwrap().choose("+1h");
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), Module::Custom, Some(&s.draft())).unwrap();
        let (all, errors) = load_all(dir.path());
        assert!(errors.is_empty());
        let mut back = FormState::new(Module::Custom, Lang::En, &c);
        back.restore(&all[&Module::Custom], &c);
        assert_eq!(back.draft(), s.draft());
        assert!(back.dirty);
        assert_eq!(back.field("args").unwrap().rows()[0].value, "v9");
        save(dir.path(), Module::Custom, None).unwrap();
        assert!(load_all(dir.path()).0.is_empty());
        // A broken file is skipped and named, not fatal.
        std::fs::write(path(dir.path(), Module::Custom), "{").unwrap();
        let (all, errors) = load_all(dir.path());
        assert!(all.is_empty());
        assert!(errors[0].contains("custom.json"), "{errors:?}");
    }
}
