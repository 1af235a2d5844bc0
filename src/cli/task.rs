//! `opsdeck task …`: submit, inspect, follow and act on tasks through the Backend (the engine's socket or a team server).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::Utc;
use clap::{Args, Subcommand};
use futures::{FutureExt as _, StreamExt};
use opsdeck::backend::{Backend, TaskDetail};
use opsdeck::context::Context;
use opsdeck::model::{
    LogLine, ModuleKind, Stream, Task, TaskFilter, TaskSpec, TaskState, fmt_local, parse_exec_time,
};

use super::output;

#[derive(Subcommand)]
pub enum TaskCmd {
    /// Submit a task from a template; without --at it is due now
    Submit(SubmitArgs),
    /// List tasks, newest first
    List {
        /// Only tasks in these states (pending_approval, scheduled, running, succeeded, failed, rejected,
        /// cancelled, interrupted, missed)
        #[arg(long = "state", value_parser = parse_state)]
        states: Vec<TaskState>,
        /// Only tasks I submitted
        #[arg(long)]
        mine: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Show a task and its group × level × host matrix
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Print a task's log; --follow keeps printing live lines until the task ends
    Logs {
        id: i64,
        /// Start at this sequence number
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, short)]
        follow: bool,
        /// Only lines of this host
        #[arg(long)]
        host: Option<String>,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Approve a task pending approval (optionally moving its exec time)
    Approve {
        id: i64,
        /// New exec time (same forms as --at)
        #[arg(long)]
        at: Option<String>,
    },
    /// Reject a task pending approval
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Cancel a task; running steps are stopped and their remote processes killed
    Cancel { id: i64 },
    /// Undo a finished SQL audit from its backups: prints the rollback SQL and submits it as a new
    /// SQL audit (one transaction, needs approval); rows changed since the original run are reported
    /// and left alone unless --force
    Rollback {
        id: i64,
        /// Who may approve the rollback (an approver or admin other than you)
        #[arg(long = "approver", required_unless_present = "dry_run")]
        approvers: Vec<String>,
        /// Only print the rollback SQL and what cannot be undone
        #[arg(long)]
        dry_run: bool,
        /// Overwrite rows changed since the original run too
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Run the failed hosts again from their failed level
    Retry {
        id: i64,
        /// Wait for the task to finish, printing its log; exit 0 only if it succeeds
        #[arg(long)]
        wait: bool,
    },
    /// Release manual steps waiting for a person (all of the task's, or one step run / host)
    Release {
        id: i64,
        /// Step run id (see `task show`)
        #[arg(long)]
        step: Option<i64>,
        #[arg(long)]
        host: Option<String>,
    },
    /// Skip a step that has not run successfully; the host goes on with its next level
    Skip {
        id: i64,
        /// Step run id (see `task show`)
        #[arg(long)]
        step: i64,
    },
}

#[derive(Args)]
pub struct SubmitArgs {
    /// Template id (see `opsdeck template list`)
    #[arg(long)]
    template: u32,
    /// Target the hosts of a tag; `G:TAG` puts them in host group G (default group 1)
    #[arg(long = "tag", value_name = "[G:]TAG")]
    tags: Vec<String>,
    /// Target a host; `G:HOST` puts it in host group G (default group 1)
    #[arg(long = "host", value_name = "[G:]HOST")]
    hosts: Vec<String>,
    /// An argument for the template, KEY=VALUE (repeatable)
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    args: Vec<String>,
    /// Exec time: `YYYY-MM-DD HH:MM[:SS]` (local), RFC 3339, `now`, `+30s`, `+10m`, `+2h`, `+1d`
    #[arg(long, default_value = "now")]
    at: String,
    /// Who may approve it; naming an approver makes the task need approval
    #[arg(long = "approver")]
    approvers: Vec<String>,
    /// Require approval even without named approvers (admins approve)
    #[arg(long)]
    needs_approval: bool,
    /// Task name [default: the template's name]
    #[arg(long)]
    name: Option<String>,
    #[arg(long, default_value = "", hide_default_value = true)]
    details: String,
    /// Wait for the task to finish, printing its log; exit 0 only if it succeeds
    #[arg(long)]
    wait: bool,
    #[arg(long)]
    json: bool,
}

fn parse_state(s: &str) -> Result<TaskState, String> {
    TaskState::parse(s).ok_or_else(|| {
        let all: Vec<&str> = TaskState::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown state `{s}`; accepted: {}", all.join(", "))
    })
}

/// Splits `G:NAME` into (G, NAME); a bare NAME is group 1.
fn group_prefixed(s: &str, what: &str) -> anyhow::Result<(u32, String)> {
    if let Some((g, name)) = s.split_once(':')
        && let Ok(g) = g.parse::<u32>()
    {
        if g == 0 || name.is_empty() {
            anyhow::bail!("--{what} `{s}`: use NAME or G:NAME with a group number from 1");
        }
        return Ok((g, name.to_string()));
    }
    Ok((1, s.to_string()))
}

/// The team server's backend under `--server`, else this data dir's engine (started when none runs).
pub(crate) async fn backend(ctx: &Context) -> anyhow::Result<Arc<dyn Backend>> {
    if let Some(r) = super::remote() {
        return Ok(Arc::new(r.clone()));
    }
    super::engine::connect(ctx).await
}

pub async fn run(ctx: &Context, cmd: TaskCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        TaskCmd::Submit(a) => submit(ctx, a).await,
        TaskCmd::List {
            states,
            mine,
            limit,
            json,
        } => {
            let b = backend(ctx).await?;
            let submitter = if mine {
                Some(b.whoami().await?.name)
            } else {
                None
            };
            let tasks = b
                .tasks(TaskFilter {
                    states,
                    submitter,
                    limit: Some(limit),
                })
                .await?;
            if json {
                output::json(&tasks)?;
            } else {
                let rows: Vec<Vec<String>> = tasks
                    .iter()
                    .map(|t| {
                        vec![
                            t.id.to_string(),
                            t.state.as_str().to_string(),
                            t.spec.module.as_str().to_string(),
                            t.spec.template_id.to_string(),
                            t.spec.submitter.clone(),
                            fmt_local(t.spec.exec_time),
                            t.spec.name.clone(),
                        ]
                    })
                    .collect();
                output::table(
                    &[
                        "ID",
                        "STATE",
                        "MODULE",
                        "TEMPLATE",
                        "SUBMITTER",
                        "EXEC TIME",
                        "NAME",
                    ],
                    &rows,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Show { id, json } => {
            let d = backend(ctx).await?.task(id).await?;
            if json {
                output::json(&d)?;
            } else {
                print_detail(&d);
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Logs {
            id,
            from,
            follow,
            host,
            json,
        } => {
            let b = backend(ctx).await?;
            let print = |l: &LogLine| {
                if host
                    .as_ref()
                    .is_some_and(|h| l.host.as_deref() != Some(h.as_str()))
                {
                    return Ok::<(), anyhow::Error>(());
                }
                if json {
                    crate::outln!("{}", serde_json::to_string(l)?);
                } else {
                    crate::outln!("{}", format_line(l));
                }
                Ok(())
            };
            if follow {
                let mut s = b.follow(id, from).await?;
                while let Some(l) = s.next().await {
                    print(&l)?;
                }
            } else {
                let mut next = from.max(1);
                loop {
                    let page = b.logs(id, next, 5_000).await?;
                    if page.is_empty() {
                        break;
                    }
                    for l in &page {
                        print(l)?;
                    }
                    next = page.last().map(|l| l.seq + 1).unwrap_or(next);
                }
                if b.task(id).await.is_err() {
                    anyhow::bail!("no task {id}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Approve { id, at } => {
            if let Some(note) = at.as_deref().and_then(opsdeck::model::ambiguity_note) {
                eprintln!("note: --at {note}");
            }
            let when = at.map(|a| parse_exec_time(&a, Utc::now())).transpose()?;
            let t = backend(ctx).await?.approve(id, when).await?;
            crate::outln!(
                "task {id} approved: {} at {}",
                t.state.as_str(),
                fmt_local(t.spec.exec_time)
            );
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Reject { id, reason } => {
            backend(ctx).await?.reject(id, &reason).await?;
            crate::outln!("task {id} rejected");
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Rollback {
            id,
            approvers,
            dry_run,
            force,
            json,
        } => rollback(ctx, id, approvers, dry_run, force, json).await,
        TaskCmd::Cancel { id } => {
            backend(ctx).await?.cancel(id).await?;
            crate::outln!("task {id} cancelled");
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Retry { id, wait } => {
            let b = backend(ctx).await?;
            b.retry(id).await?;
            crate::outln!("task {id} scheduled again from its failed steps");
            if wait {
                let from = b
                    .logs(id, 1, usize::MAX >> 1)
                    .await?
                    .last()
                    .map(|l| l.seq + 1)
                    .unwrap_or(1);
                return wait_for(b.as_ref(), id, from, false).await;
            }
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Release { id, step, host } => {
            let n = backend(ctx)
                .await?
                .release(id, step, host.as_deref())
                .await?;
            crate::outln!("released {n} step(s) of task {id}");
            Ok(ExitCode::SUCCESS)
        }
        TaskCmd::Skip { id, step } => {
            backend(ctx).await?.skip(id, step).await?;
            crate::outln!("step run {step} of task {id} skipped");
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn submit(ctx: &Context, a: SubmitArgs) -> anyhow::Result<ExitCode> {
    let b = backend(ctx).await?;
    let me = b.whoami().await?.name;
    let inv = b.inventory().await?;
    let mut hosts: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for t in &a.tags {
        let (g, name) = group_prefixed(t, "tag")?;
        let tag = inv.tag(&name).ok_or_else(|| {
            anyhow::anyhow!("--tag: unknown tag `{name}` (see `opsdeck inventory list`)")
        })?;
        if !tag.allows(&me) {
            anyhow::bail!(
                "--tag: {me} may not target tag `{name}` (allowed: {})",
                tag.users.join(", ")
            );
        }
        let e = hosts.entry(g).or_default();
        for h in &tag.hosts {
            if !e.contains(h) {
                e.push(h.clone());
            }
        }
    }
    for h in &a.hosts {
        let (g, name) = group_prefixed(h, "host")?;
        let e = hosts.entry(g).or_default();
        if !e.contains(&name) {
            e.push(name);
        }
    }
    let mut args = BTreeMap::new();
    for kv in &a.args {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--arg `{kv}`: use KEY=VALUE"))?;
        args.insert(k.trim().to_string(), v.to_string());
    }
    let exec_time = parse_exec_time(&a.at, Utc::now()).map_err(|e| anyhow::anyhow!("--at: {e}"))?;
    if let Some(note) = opsdeck::model::ambiguity_note(&a.at) {
        eprintln!("note: --at {note}");
    }
    let tpl = b.template(a.template, None).await.ok();
    let tpl_approvers = tpl
        .as_ref()
        .map(|t| !t.template.approvers.is_empty())
        .unwrap_or(false);
    let spec = TaskSpec {
        name: a
            .name
            .or_else(|| tpl.as_ref().map(|t| t.template.name.clone()))
            .unwrap_or_else(|| format!("template {}", a.template)),
        module: ModuleKind::Custom,
        submitter: me.clone(),
        template_id: a.template,
        args,
        hosts,
        exec_time,
        needs_approval: a.needs_approval || !a.approvers.is_empty() || tpl_approvers,
        approvers: a.approvers,
        details: a.details,
        extra: serde_json::Value::Null,
    };
    let t = b.submit(spec).await?;
    if a.json && !a.wait {
        output::json(&t)?;
    } else {
        eprintln!(
            "task {} submitted: {} (exec time {})",
            t.id,
            t.state.as_str(),
            fmt_local(t.spec.exec_time)
        );
    }
    if a.wait {
        if t.state == TaskState::PendingApproval {
            eprintln!(
                "task {} waits for approval by {}",
                t.id,
                t.spec.approvers.join(", ")
            );
        }
        return wait_for(b.as_ref(), t.id, 1, a.json).await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Follows a task to its end; exit 0 only when it succeeded.
pub(crate) async fn wait_for(
    b: &dyn Backend,
    id: i64,
    from: u64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut s = b.follow(id, from).await?;
    // Buffered: a chatty step prints millions of lines; flush whenever no further line is ready yet.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout());
    loop {
        let next = match s.next().now_or_never() {
            Some(next) => next,
            None => {
                out.flush()?;
                s.next().await
            }
        };
        let Some(l) = next else { break };
        if !json {
            writeln!(out, "{}", format_line(&l))?;
        }
    }
    out.flush()?;
    let d = b.task(id).await?;
    if json {
        output::json(&d)?;
    }
    eprintln!("task {id} {}", d.task.state.as_str());
    Ok(if d.task.state == TaskState::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub fn format_line(l: &LogLine) -> String {
    let t = l.ts.with_timezone(&chrono::Local).format("%H:%M:%S%.3f");
    let host = l.host.as_deref().unwrap_or("-");
    let mark = match l.stream {
        Stream::Stdout => ' ',
        Stream::Stderr => '!',
        Stream::System => '#',
    };
    format!("{t} {host:>12} {mark} {}", l.text)
}

async fn rollback(
    ctx: &Context,
    id: i64,
    approvers: Vec<String>,
    dry_run: bool,
    force: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use opsdeck::modules::sql_audit_rollback::{plan_for, rollback_spec};
    let b = backend(ctx).await?;
    let d = b.task(id).await?;
    let plan = plan_for(&d.task, &d.sql_results)?;
    if dry_run {
        if json {
            output::json(&plan)?;
        } else {
            crate::outln!("{}", plan.sql().trim_end());
            for n in &plan.notes {
                crate::outln!("-- not undone: {n}");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mctx = opsdeck::backend::load_module_context(b.as_ref(), &ctx.config).await?;
    let spec = rollback_spec(&d.task, &plan, approvers, force, &mctx)?;
    let t = b.submit(spec).await?;
    if json {
        output::json(&t)?;
    } else {
        crate::outln!("{}", plan.sql().trim_end());
        for n in &plan.notes {
            crate::outln!("-- not undone: {n}");
        }
        crate::outln!(
            "rollback of task {id} submitted as task {} ({}): {} statement(s), one transaction",
            t.id,
            t.state.as_str(),
            plan.statements.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_detail(d: &TaskDetail) {
    let t: &Task = &d.task;
    let (done, total) = d.progress();
    crate::outln!("task {}  {}  [{}]", t.id, t.spec.name, t.state.as_str());
    crate::outln!("  module     {}", t.spec.module.as_str());
    crate::outln!(
        "  template   {} v{}",
        t.spec.template_id,
        t.template_version
    );
    crate::outln!("  submitter  {}", t.spec.submitter);
    crate::outln!("  exec time  {}", fmt_local(t.spec.exec_time));
    crate::outln!("  created    {}", fmt_local(t.created_at));
    if let Some(s) = t.started_at {
        crate::outln!("  started    {}", fmt_local(s));
    }
    if let Some(f) = t.finished_at {
        crate::outln!("  finished   {}", fmt_local(f));
    }
    if !t.spec.approvers.is_empty() {
        crate::outln!("  approvers  {}", t.spec.approvers.join(", "));
    }
    if let Some(dec) = &t.decision {
        let what = if dec.approved { "approved" } else { "rejected" };
        crate::outln!(
            "  decision   {what} by {} at {} {}",
            dec.by,
            fmt_local(dec.at),
            dec.reason
        );
    }
    if !t.reason.is_empty() {
        crate::outln!("  reason     {}", t.reason);
    }
    crate::outln!("  progress   {done}/{total} hosts done");
    crate::outln!();
    let sql = opsdeck::model::sql_audit::detail_lines(&t.spec, &d.sql_results);
    for l in &sql {
        crate::outln!("{l}");
    }
    if !sql.is_empty() {
        crate::outln!();
    }
    let rows: Vec<Vec<String>> = d
        .steps
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.group.to_string(),
                s.level.to_string(),
                s.host.clone(),
                s.step_name.clone(),
                s.state.as_str().to_string(),
                s.exit_code.map(|c| c.to_string()).unwrap_or_default(),
                s.attempt.to_string(),
                s.reason.clone(),
            ]
        })
        .collect();
    output::table(
        &[
            "STEP", "GROUP", "LEVEL", "HOST", "NAME", "STATE", "EXIT", "TRY", "REASON",
        ],
        &rows,
    );
}
