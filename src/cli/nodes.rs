//! `opsdeck nodes`: the engines registered on the PostgreSQL database, with their heartbeat age.

use std::process::ExitCode;

use super::output;
use opsdeck::context::Context;

pub fn run(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    if !ctx.store.is_postgres() {
        anyhow::bail!(
            "`opsdeck nodes` lists the engines sharing a PostgreSQL database; this store is the \
             SQLite file {} (one engine per data directory): pass --database-url postgres://…",
            ctx.store.describe()
        );
    }
    let nodes = ctx.store.nodes()?;
    if json {
        output::json(&nodes)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| {
            vec![
                n.id.clone(),
                n.hostname.clone(),
                n.pid.to_string(),
                n.version.clone(),
                format!("{:.1}s", n.heartbeat_age_secs),
            ]
        })
        .collect();
    output::table(&["NODE", "HOST", "PID", "VERSION", "HEARTBEAT AGE"], &rows);
    Ok(ExitCode::SUCCESS)
}
