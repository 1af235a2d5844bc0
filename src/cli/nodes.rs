//! `opsdeck nodes`: the engines registered on the PostgreSQL database, with their heartbeat age and running tasks.

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
                running_cell(&n.running_tasks),
            ]
        })
        .collect();
    output::table(
        &["NODE", "HOST", "PID", "VERSION", "HEARTBEAT AGE", "RUNNING"],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

/// `0`, or the count and the first ids: `3 (#12, #13, #14)`, `25 (#1, … +15)`.
fn running_cell(ids: &[i64]) -> String {
    const SHOWN: usize = 10;
    if ids.is_empty() {
        return "0".into();
    }
    let mut list: Vec<String> = ids.iter().take(SHOWN).map(|i| format!("#{i}")).collect();
    if ids.len() > SHOWN {
        list.push(format!("… +{}", ids.len() - SHOWN));
    }
    format!("{} ({})", ids.len(), list.join(", "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn running_cells_count_and_cut_long_lists() {
        assert_eq!(super::running_cell(&[]), "0");
        assert_eq!(super::running_cell(&[3, 9]), "2 (#3, #9)");
        let many: Vec<i64> = (1..=12).collect();
        assert_eq!(
            super::running_cell(&many),
            "12 (#1, #2, #3, #4, #5, #6, #7, #8, #9, #10, … +2)"
        );
    }
}
