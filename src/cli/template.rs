//! `opsdeck template list|show|import`: the versioned task templates.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use opsdeck::context::Context;
use opsdeck::templates::load_template_file;

use super::output;

#[derive(Subcommand)]
pub enum TemplateCmd {
    /// List the latest version of every template
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one template: its TOML source, or everything as JSON
    Show {
        id: u32,
        /// A specific version [default: the latest]
        #[arg(long)]
        version: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// Import template files; all are checked first and nothing is stored if any is bad.
    /// Importing a changed template adds a new version; submitted tasks keep theirs.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

pub fn run(ctx: &Context, cmd: TemplateCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        TemplateCmd::List { json } => {
            let all = match super::remote() {
                Some(r) => super::block_on(opsdeck::backend::Backend::templates(r))?,
                None => ctx.store.templates()?,
            };
            if json {
                let v: Vec<_> = all
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t.template.id,
                            "version": t.version,
                            "name": t.template.name,
                            "description": t.template.description,
                            "groups": t.template.group_count(),
                            "steps": t.template.steps.len(),
                            "args": t.template.args,
                        })
                    })
                    .collect();
                output::json(&v)?;
                return Ok(ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|t| {
                    vec![
                        t.template.id.to_string(),
                        t.version.to_string(),
                        t.template.group_count().to_string(),
                        t.template.steps.len().to_string(),
                        t.template.name.clone(),
                    ]
                })
                .collect();
            crate::outln!("TEMPLATES");
            output::table(&["ID", "VERSION", "GROUPS", "STEPS", "NAME"], &rows);
            Ok(ExitCode::SUCCESS)
        }
        TemplateCmd::Show { id, version, json } => {
            let found = match super::remote() {
                Some(r) => {
                    match super::block_on(opsdeck::backend::Backend::template(r, id, version)) {
                        Ok(t) => Some(t),
                        Err(e)
                            if matches!(
                                e.downcast_ref::<opsdeck::backend::BackendError>(),
                                Some(opsdeck::backend::BackendError::NotFound(_))
                            ) =>
                        {
                            None
                        }
                        Err(e) => return Err(e),
                    }
                }
                None => ctx.store.template(id, version)?,
            };
            let Some(t) = found else {
                match version {
                    Some(v) => anyhow::bail!(
                        "template {id} has no version {v} (see `opsdeck template list`)"
                    ),
                    None => anyhow::bail!("no template {id} (see `opsdeck template list`)"),
                }
            };
            if json {
                output::json(&t)?;
            } else {
                crate::outln!(
                    "# template {} version {} ({} by {})",
                    id,
                    t.version,
                    opsdeck::model::fmt_local(t.created_at),
                    t.created_by
                );
                crate::out!("{}", t.source);
                if !t.source.ends_with('\n') {
                    crate::outln!();
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TemplateCmd::Import { files } => {
            let mut loaded = Vec::new();
            let mut problems = Vec::new();
            for f in &files {
                match load_template_file(f) {
                    Ok(t) => {
                        let src = std::fs::read_to_string(f)?;
                        loaded.push((t, src));
                    }
                    Err(e) => problems.push(e.to_string()),
                }
            }
            let mut ids = std::collections::BTreeSet::new();
            for (t, _) in &loaded {
                if !ids.insert(t.id) {
                    problems.push(format!(
                        "template id {} appears in more than one file",
                        t.id
                    ));
                }
            }
            if !problems.is_empty() {
                anyhow::bail!("nothing was imported:\n{}", problems.join("\n"));
            }
            for (t, src) in &loaded {
                let v = ctx.store.put_template(t, src, &ctx.user)?;
                ctx.store.audit(
                    &ctx.user,
                    "import-template",
                    None,
                    &format!("template {} version {v}", t.id),
                )?;
                crate::outln!("template {} `{}`: version {v}", t.id, t.name);
            }
            for (f, (t, src)) in files.iter().zip(&loaded) {
                for w in opsdeck::templates::template_warnings(t, src, &f.display().to_string()) {
                    eprintln!("warning: {w}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
