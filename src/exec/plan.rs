//! What a step's command line is and how it is shown: the one renderer the runner and the dry run
//! share, on top of `model::plan`'s expansion, so a dry run shows exactly what runs, masked alike.

use std::collections::BTreeMap;

use serde::Serialize;

use super::render::{Masker, render_command, stdin_bytes};
use crate::model::plan::{ArgValues, expand, secret_captures};
use crate::model::{Inventory, Step, TaskSpec, Template};

/// A step rendered for one host.
#[derive(Debug, Clone)]
pub struct RenderedStep {
    /// The command line that runs, secrets and all.
    pub command: String,
    /// The command line as logs and the dry run show it, secrets `******`.
    pub shown: String,
    /// What is written to the step's stdin, if it reads any.
    pub stdin: Option<Vec<u8>>,
}

/// Renders `step` with `args` (from `ArgValues::for_host`) and masks it with `masker`.
pub fn render_step(step: &Step, args: &BTreeMap<String, String>, masker: &Masker) -> RenderedStep {
    let command = render_command(&step.command, args);
    let shown = if masker.is_empty() {
        command.clone()
    } else {
        masker.mask(&command)
    };
    RenderedStep {
        command,
        shown,
        stdin: stdin_bytes(step, args),
    }
}

/// The masker of a task: its secret args' values plus the values of its secret captures so far.
pub fn masker_for(
    values: &ArgValues,
    tpl: &Template,
    captures: &BTreeMap<String, String>,
) -> Masker {
    Masker::new(
        values
            .secrets()
            .iter()
            .cloned()
            .chain(secret_captures(tpl, captures)),
    )
}

/// One step as it would run on one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    pub group: u32,
    pub level: u32,
    pub host: String,
    pub step: String,
    pub trigger: String,
    /// The rendered command with secret values replaced by `******`.
    pub command: String,
    /// Names of the args written to the step's stdin (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stdin: Vec<String>,
}

/// The placeholder a dry run shows for the value a `capture` step will make.
pub fn capture_placeholder(name: &str) -> String {
    format!("<captured {name}>")
}

/// A dry run: every step on every host in the order `model::plan::expand` gives, rendered the way
/// the runner renders it, except that `FLOW_ID` shows as `<id>` and a capture as
/// `<captured NAME>` (masked when the capture is secret).
pub fn dry_run(spec: &TaskSpec, tpl: &Template, inv: &Inventory) -> Vec<PlannedStep> {
    let values = ArgValues::new(spec, tpl, "<id>");
    let captures: BTreeMap<String, String> = tpl
        .steps
        .iter()
        .filter_map(|s| s.capture.as_ref())
        .map(|c| (c.clone(), capture_placeholder(c)))
        .collect();
    let masker = masker_for(&values, tpl, &captures);
    // A tunnel SQL audit does not run its template's command: say what really runs.
    let native = crate::model::sql_audit::tunnel_summary(spec);
    expand(spec, tpl)
        .into_iter()
        .map(|slot| {
            let args = values.for_host(&captures, inv, &slot.host);
            let s = slot.step;
            PlannedStep {
                group: slot.group,
                level: s.level,
                host: slot.host,
                step: s.name.clone(),
                trigger: s.trigger.as_str().to_string(),
                command: match &native {
                    Some(n) => n.clone(),
                    None => render_step(s, &args, &masker).shown,
                },
                stdin: if native.is_some() {
                    Vec::new()
                } else {
                    s.stdin.clone()
                },
            }
        })
        .collect()
}
