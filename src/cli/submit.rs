//! `opsdeck submit <module> …`: fill one module's form from flags, then dry-run it or submit it through the Backend.

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use futures::StreamExt as _;
use opsdeck::backend::Backend;
use opsdeck::context::Context;
use opsdeck::model::Lang;
use opsdeck::model::{Host, Invalid, Inventory, TaskSpec, TaskState, fmt_local};
use opsdeck::modules::sql_optimize::{analyze, live_output, online_advice};
use opsdeck::modules::{
    AppPublishForm, ArgRow, CustomForm, CustomJsonForm, CustomProxyForm, Form, ModuleContext,
    NodeAddForm, ResourceForm, SqlAuditForm, SqlOptimizeForm, plan,
};
use opsdeck::sql::score::star_string;

use super::output;
use super::task::{backend, wait_for};

#[derive(Subcommand)]
pub enum SubmitCmd {
    /// App publish (应用发布): an inventory app at a tag/version
    App {
        /// App name (see `opsdeck inventory list`)
        #[arg(long)]
        app: String,
        /// Tag or version to publish (PUBLISH_TAG)
        #[arg(long)]
        tag: String,
        #[command(flatten)]
        rows: Rows,
        #[command(flatten)]
        common: Common,
    },
    /// Resource request (资源申购): always needs approval
    Resource {
        /// Resource type from the config's resource_types (server, database, redis, load balancer)
        #[arg(long = "type")]
        resource_type: String,
        /// A field of the resource type, NAME=VALUE (repeatable)
        #[arg(long = "field", value_name = "NAME=VALUE")]
        fields: Vec<String>,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        #[arg(long, default_value = "", hide_default_value = true)]
        region: String,
        #[arg(long, default_value = "", hide_default_value = true)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Node add (节点添加): join new hosts to the cluster of a tag (template 9201)
    NodeAdd {
        /// The cluster's tag; its first host is the control plane
        #[arg(long)]
        cluster_tag: String,
        /// A new node (repeatable)
        #[arg(long = "host")]
        hosts: Vec<String>,
        /// kubeadm minor version expected on the nodes [default: the template's]
        #[arg(long, default_value = "", hide_default_value = true)]
        k8s_version: String,
        #[command(flatten)]
        common: Common,
    },
    /// Custom task (自定义任务): a template on a tag's hosts or a subset
    Custom {
        #[arg(long)]
        tag: String,
        /// Only these hosts of the tag (repeatable) [default: all]
        #[arg(long = "host")]
        hosts: Vec<String>,
        #[arg(long)]
        template: u32,
        #[command(flatten)]
        rows: Rows,
        #[command(flatten)]
        common: Common,
    },
    /// Custom task via proxy (自定义任务-代理): once on a proxy host, targets in SERVER_IP/SERVER_HOST
    CustomProxy {
        /// Target tag (repeatable)
        #[arg(long = "tag", required = true)]
        tags: Vec<String>,
        /// The one host the template runs on
        #[arg(long)]
        proxy: String,
        #[arg(long)]
        template: u32,
        #[command(flatten)]
        rows: Rows,
        #[command(flatten)]
        common: Common,
    },
    /// SQL audit (SQL审核): SQL checked now, run on the tag's MySQL write database from its proxy
    /// host once approved (template 9001). Syntax errors refuse the submit; warnings and the score
    /// are shown and kept with the task for the approver. At least one --approver is required.
    #[command(after_help = "Examples:\n  \
        opsdeck submit sql-audit --tag orders --approver bob --at '2026-03-01 02:00' changes.sql\n  \
        echo 'UPDATE t SET a = 1 WHERE id = 2;' | opsdeck submit sql-audit --tag orders --approver bob -\n  \
        opsdeck submit sql-audit --tag orders --approver bob --sql 'DELETE FROM t WHERE id = 3' --dry-run")]
    SqlAudit {
        /// Target tag: it needs a proxy host and exactly one MySQL write database
        #[arg(long)]
        tag: String,
        #[command(flatten)]
        sql: SqlInput,
        /// All DML in one transaction, all or nothing (no DDL; the tag needs sql_via = "tunnel")
        #[arg(long)]
        transaction: bool,
        #[command(flatten)]
        common: Common,
    },
    /// SQL optimize (SQL优化): syntax check, score, fingerprint and query id, beautified SQL and
    /// index advice, locally and at once; with --online, EXPLAIN and the existing indexes of the
    /// tag's database are read through its proxy host (template 9901) and the advice uses them.
    #[command(after_help = "Examples:\n  \
        opsdeck submit sql-optimize slow.sql\n  \
        opsdeck submit sql-optimize --sql 'SELECT * FROM t WHERE a = 1' --json\n  \
        opsdeck submit sql-optimize --online --tag orders --sql 'SELECT * FROM t WHERE a = 1 ORDER BY b'\n  \
        opsdeck submit sql-optimize --online --tag orders --database orders-ro --table shop.t --dry-run -")]
    SqlOptimize {
        #[command(flatten)]
        sql: SqlInput,
        /// Ask the live database (one statement): runs template 9901 on the tag's proxy, waits, prints the advice
        #[arg(long)]
        online: bool,
        /// With --online: the target tag (a proxy host and its database)
        #[arg(
            long,
            default_value = "",
            hide_default_value = true,
            required_if_eq("online", "true")
        )]
        tag: String,
        /// With --online: which of the tag's databases [default: the tag's only one]
        #[arg(long, default_value = "", hide_default_value = true)]
        database: String,
        /// With --online: a table to report indexes for, `t` or `schema.t` (repeatable) [default: the statement's tables]
        #[arg(long = "table")]
        tables: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Custom task from CODO's JSON (自定义任务-JSON); FILE or `-` for stdin; --at overrides exec_time
    Json {
        file: String,
        #[command(flatten)]
        common: Common,
    },
}

/// Where the SQL comes from: a FILE, `-` for stdin, or --sql.
#[derive(Args)]
pub struct SqlInput {
    /// SQL file, or `-` for stdin
    #[arg(required_unless_present = "sql", conflicts_with = "sql")]
    file: Option<String>,
    /// The SQL itself instead of a file
    #[arg(long)]
    sql: Option<String>,
}

impl SqlInput {
    fn read(&self) -> anyhow::Result<String> {
        if let Some(s) = &self.sql {
            return Ok(s.clone());
        }
        match self.file.as_deref() {
            None | Some("-") => {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Ok(s)
            }
            Some(f) => {
                std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read {f}: {e}"))
            }
        }
    }
}

#[derive(Args)]
pub struct Rows {
    /// An argument, KEY=VALUE (repeatable)
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    args: Vec<String>,
}

#[derive(Args)]
pub struct Common {
    /// Exec time: `YYYY-MM-DD HH:MM[:SS]` (local), RFC 3339, `now`, `+30s`, `+10m`, `+2h`, `+1d` [default: now]
    #[arg(long, default_value = "", hide_default_value = true)]
    at: String,
    /// Who may approve it (repeatable); naming one makes the task need approval
    #[arg(long = "approver")]
    approvers: Vec<String>,
    /// Task name [default: from the module]
    #[arg(long, default_value = "", hide_default_value = true)]
    name: String,
    #[arg(long, default_value = "", hide_default_value = true)]
    details: String,
    /// Print what would run on each host (secrets masked) and submit nothing
    #[arg(long)]
    dry_run: bool,
    /// Wait for the task to finish, printing its log; exit 0 only if it succeeds
    #[arg(long)]
    wait: bool,
    #[arg(long)]
    json: bool,
}

fn rows(args: &[String]) -> anyhow::Result<Vec<ArgRow>> {
    args.iter()
        .map(|a| ArgRow::parse(a).map_err(|e| anyhow::anyhow!("--arg {e}")))
        .collect()
}

fn invalid(e: Invalid) -> anyhow::Error {
    let lines: Vec<String> = e.0.iter().map(|f| format!("  {f}")).collect();
    anyhow::anyhow!("the form is invalid:\n{}", lines.join("\n"))
}

fn no_approvers(c: &Common, module: &str) -> anyhow::Result<()> {
    if !c.approvers.is_empty() {
        anyhow::bail!("--approver: the {module} module takes no approvers");
    }
    Ok(())
}

/// Builds the spec (and any ad-hoc hosts) from the chosen module's flags.
fn build(cmd: &SubmitCmd, mctx: &ModuleContext) -> anyhow::Result<(TaskSpec, Vec<Host>)> {
    let one = |r: Result<TaskSpec, Invalid>| r.map(|s| (s, Vec::new())).map_err(invalid);
    match cmd {
        SubmitCmd::App {
            app,
            tag,
            rows: r,
            common: c,
        } => one(AppPublishForm {
            name: c.name.clone(),
            app: app.clone(),
            tag: tag.clone(),
            args: rows(&r.args)?,
            exec_time: c.at.clone(),
            approvers: c.approvers.clone(),
            details: c.details.clone(),
        }
        .to_spec(mctx)),
        SubmitCmd::Resource {
            resource_type,
            fields,
            quantity,
            region,
            reason,
            common: c,
        } => {
            let mut map = std::collections::BTreeMap::new();
            for f in fields {
                let (k, v) = f
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--field `{f}`: use NAME=VALUE"))?;
                map.insert(k.trim().to_string(), v.to_string());
            }
            one(ResourceForm {
                name: c.name.clone(),
                resource_type: resource_type.clone(),
                fields: map,
                quantity: *quantity,
                region: region.clone(),
                reason: reason.clone(),
                approvers: c.approvers.clone(),
                exec_time: c.at.clone(),
                details: c.details.clone(),
            }
            .to_spec(mctx))
        }
        SubmitCmd::NodeAdd {
            cluster_tag,
            hosts,
            k8s_version,
            common: c,
        } => {
            no_approvers(c, "node-add")?;
            one(NodeAddForm {
                name: c.name.clone(),
                cluster_tag: cluster_tag.clone(),
                hosts: hosts.clone(),
                k8s_version: k8s_version.clone(),
                exec_time: c.at.clone(),
                details: c.details.clone(),
            }
            .to_spec(mctx))
        }
        SubmitCmd::Custom {
            tag,
            hosts,
            template,
            rows: r,
            common: c,
        } => one(CustomForm {
            name: c.name.clone(),
            tag: tag.clone(),
            hosts: hosts.clone(),
            template: *template,
            args: rows(&r.args)?,
            exec_time: c.at.clone(),
            approvers: c.approvers.clone(),
            details: c.details.clone(),
        }
        .to_spec(mctx)),
        SubmitCmd::CustomProxy {
            tags,
            proxy,
            template,
            rows: r,
            common: c,
        } => one(CustomProxyForm {
            name: c.name.clone(),
            tags: tags.clone(),
            proxy: proxy.clone(),
            template: *template,
            args: rows(&r.args)?,
            exec_time: c.at.clone(),
            approvers: c.approvers.clone(),
            details: c.details.clone(),
        }
        .to_spec(mctx)),
        SubmitCmd::SqlAudit {
            tag,
            sql,
            transaction,
            common: c,
        } => one(SqlAuditForm {
            name: c.name.clone(),
            tag: tag.clone(),
            sql: sql.read()?,
            approvers: c.approvers.clone(),
            exec_time: c.at.clone(),
            details: c.details.clone(),
            transaction: *transaction,
        }
        .to_spec(mctx)),
        SubmitCmd::SqlOptimize {
            sql,
            tag,
            database,
            tables,
            common: c,
            ..
        } => {
            no_approvers(c, "sql-optimize")?;
            if !c.at.is_empty() {
                anyhow::bail!("--at: online SQL advice runs at once; it takes no exec time");
            }
            one(SqlOptimizeForm {
                name: c.name.clone(),
                tag: tag.clone(),
                database: database.clone(),
                sql: sql.read()?,
                tables: tables.clone(),
                details: c.details.clone(),
            }
            .to_spec(mctx))
        }
        SubmitCmd::Json { file, common: c } => {
            no_approvers(c, "json")?;
            let text = read_doc(file)?;
            CustomJsonForm::new(text, c.at.clone())
                .to_spec_with_hosts(mctx)
                .map_err(invalid)
        }
    }
}

fn common(cmd: &SubmitCmd) -> &Common {
    match cmd {
        SubmitCmd::App { common, .. }
        | SubmitCmd::Resource { common, .. }
        | SubmitCmd::NodeAdd { common, .. }
        | SubmitCmd::Custom { common, .. }
        | SubmitCmd::CustomProxy { common, .. }
        | SubmitCmd::SqlAudit { common, .. }
        | SubmitCmd::SqlOptimize { common, .. }
        | SubmitCmd::Json { common, .. } => common,
    }
}

pub async fn run(ctx: &Context, cmd: SubmitCmd) -> anyhow::Result<ExitCode> {
    let c = common(&cmd);
    if let Some(note) = opsdeck::model::ambiguity_note(&c.at) {
        eprintln!("note: --at {note}");
    }
    let lang = Lang::resolve(None, ctx.config.lang.as_deref());
    if let SubmitCmd::SqlOptimize {
        online: false,
        sql,
        tag,
        database,
        tables,
        common: c,
    } = &cmd
    {
        if !tag.is_empty() || !database.is_empty() || !tables.is_empty() || c.dry_run || c.wait {
            anyhow::bail!(
                "--tag, --database, --table, --dry-run and --wait apply to --online; the local analysis runs nothing"
            );
        }
        return local_analysis(&sql.read()?, lang, c.json);
    }
    let b = backend(ctx).await?;
    if let (Some(r), SubmitCmd::Json { file, .. }) = (super::remote(), &cmd)
        && !c.dry_run
    {
        // The server builds the task (and adds any ad-hoc hosts) from the document itself.
        let text = read_doc(file)?;
        let t = r
            .submit_form(
                "custom-json",
                &serde_json::json!({ "json": text, "exec_time": c.at }),
            )
            .await?;
        for w in opsdeck::modules::codo_warnings(&t.spec) {
            eprintln!("warning: {w}");
        }
        return finish(b.as_ref(), t, c).await;
    }
    let mctx = opsdeck::backend::load_module_context(b.as_ref(), &ctx.config).await?;
    let (spec, adhoc) = build(&cmd, &mctx)?;
    for w in opsdeck::modules::codo_warnings(&spec) {
        eprintln!("warning: {w}");
    }
    if matches!(cmd, SubmitCmd::SqlAudit { .. }) && !c.json {
        show_review(&spec);
    }
    if c.dry_run {
        return dry_run(&mctx, &spec, &adhoc, c.json);
    }
    if matches!(cmd, SubmitCmd::SqlOptimize { .. }) {
        return online(ctx, spec, lang, c.json).await;
    }
    if !adhoc.is_empty() && super::remote().is_none() {
        let names: Vec<&str> = adhoc.iter().map(|h| h.name.as_str()).collect();
        let inv = Inventory {
            hosts: adhoc.clone(),
            ..Inventory::default()
        };
        ctx.store
            .import_inventory(inv, false)?
            .map_err(|e| anyhow::anyhow!("cannot add ad-hoc hosts {names:?}: {e}"))?;
        eprintln!(
            "added ad-hoc host(s) to the inventory: {}",
            names.join(", ")
        );
    }
    let t = b.submit(spec).await?;
    finish(b.as_ref(), t, c).await
}

fn read_doc(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))
}

async fn finish(b: &dyn Backend, t: opsdeck::model::Task, c: &Common) -> anyhow::Result<ExitCode> {
    eprintln!(
        "task {} submitted: {} (exec time {})",
        t.id,
        t.state.as_str(),
        fmt_local(t.spec.exec_time)
    );
    if c.wait {
        if t.state == TaskState::PendingApproval {
            eprintln!(
                "task {} waits for approval by {}",
                t.id,
                if t.spec.approvers.is_empty() {
                    "an admin".to_string()
                } else {
                    t.spec.approvers.join(", ")
                }
            );
        }
        return wait_for(b, t.id, 1, c.json).await;
    }
    if c.json {
        let mut shown = t.clone();
        let tpl = b
            .template(shown.spec.template_id, Some(shown.template_version))
            .await
            .ok();
        if let Some(tpl) = tpl.as_ref().map(|s| &s.template) {
            for name in shown.spec.secret_arg_names(tpl) {
                if let Some(v) = shown.spec.args.get_mut(&name)
                    && !v.is_empty()
                {
                    *v = opsdeck::exec::render::MASK.to_string();
                }
            }
        }
        output::json(&shown)?;
    } else {
        crate::outln!("{}", t.id);
    }
    Ok(ExitCode::SUCCESS)
}

fn dry_run(
    mctx: &ModuleContext,
    spec: &TaskSpec,
    adhoc: &[Host],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let tpl = mctx
        .template(spec.template_id)
        .ok_or_else(|| anyhow::anyhow!("unknown template {}", spec.template_id))?;
    let mut inv = mctx.inventory.clone();
    inv.hosts.extend(adhoc.iter().cloned());
    let steps = plan(spec, tpl, &inv);
    let secrets = spec.secret_arg_names(tpl);
    let shown_args: std::collections::BTreeMap<&String, &str> = spec
        .args
        .iter()
        .map(|(k, v)| {
            let v = if secrets.contains(k) && !v.is_empty() {
                opsdeck::exec::render::MASK
            } else {
                v.as_str()
            };
            (k, v)
        })
        .collect();
    if json {
        output::json(&serde_json::json!({
            "name": spec.name,
            "module": spec.module,
            "template_id": spec.template_id,
            "exec_time": spec.exec_time,
            "needs_approval": spec.needs_approval,
            "approvers": spec.approvers,
            "args": shown_args,
            "hosts": spec.hosts,
            "adhoc_hosts": adhoc,
            "steps": steps,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::outln!(
        "dry run: `{}` ({}), template {} `{}`, exec time {}, {}",
        spec.name,
        spec.module.as_str(),
        tpl.id,
        tpl.name,
        fmt_local(spec.exec_time),
        if spec.needs_approval {
            format!("needs approval by {}", spec.approvers.join(", "))
        } else {
            "no approval".to_string()
        }
    );
    for (k, v) in &shown_args {
        crate::outln!("  arg {k} = {v}");
    }
    for h in adhoc {
        crate::outln!("  ad-hoc host {} would be added to the inventory", h.name);
    }
    let mut last: Option<(u32, &str)> = None;
    for s in &steps {
        if last.map(|(g, _)| g) != Some(s.group) {
            crate::outln!("group {}", s.group);
        }
        if last != Some((s.group, s.host.as_str())) {
            let addr = inv.host(&s.host).map(|h| h.address.as_str()).unwrap_or("?");
            crate::outln!("  host {} ({addr})", s.host);
        }
        last = Some((s.group, s.host.as_str()));
        crate::outln!(
            "    level {} `{}` [{}]: {}",
            s.level,
            s.step,
            s.trigger,
            s.command
        );
        if !s.stdin.is_empty() {
            crate::outln!("      stdin: {}", s.stdin.join(", "));
        }
    }
    crate::outln!("nothing was submitted (--dry-run)");
    Ok(ExitCode::SUCCESS)
}

/// The SQL audit's check warnings and score, as the approver will see them (stderr).
fn show_review(spec: &TaskSpec) {
    if let Some(ws) = spec.extra["check_warnings"].as_array() {
        for w in ws {
            eprintln!(
                "warning: statement {} at line {}:{}: {}",
                w["statement"],
                w["position"]["line"],
                w["position"]["column"],
                w["message"].as_str().unwrap_or_default()
            );
        }
    }
    let sc = &spec.extra["score"];
    if let Some(score) = sc["score"].as_u64() {
        eprintln!(
            "score {score} {} — kept with the task for the approver",
            star_string(sc["stars"].as_f64().unwrap_or_default())
        );
        for st in sc["statements"].as_array().into_iter().flatten() {
            for f in st["findings"].as_array().into_iter().flatten() {
                if f["id"] == "OK" {
                    continue;
                }
                eprintln!(
                    "  statement {}: {} {} {}",
                    st["number"],
                    f["severity"].as_str().unwrap_or_default(),
                    f["id"].as_str().unwrap_or_default(),
                    f["summary"].as_str().unwrap_or_default()
                );
            }
        }
    }
}

/// `sql-optimize` without --online: everything the toolkit says about the SQL, at once.
fn local_analysis(sql: &str, lang: Lang, json: bool) -> anyhow::Result<ExitCode> {
    let a = analyze(sql, lang);
    let code = if a.check.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    if json {
        output::json(&a)?;
        return Ok(code);
    }
    for st in &a.statements {
        crate::outln!(
            "statement {} ({}) at line {}",
            st.number,
            st.kind,
            a.check
                .statements
                .get(st.number - 1)
                .map(|c| c.start.line)
                .unwrap_or_default()
        );
        crate::outln!("  query id     {}", st.query_id);
        crate::outln!("  fingerprint  {}", st.fingerprint);
        for d in a.check.errors.iter().filter(|d| d.statement == st.number) {
            crate::outln!(
                "  error {}:{}: {}\n{}",
                d.position.line,
                d.position.column,
                d.message,
                d.snippet
            );
        }
        for d in a.check.warnings.iter().filter(|d| d.statement == st.number) {
            crate::outln!(
                "  warning {}:{}: {}",
                d.position.line,
                d.position.column,
                d.message
            );
        }
        if let Some(sc) = a.score.statements.iter().find(|s| s.number == st.number) {
            crate::outln!("  score        {} {}", sc.score, star_string(sc.stars));
            for f in sc.findings.iter().filter(|f| f.id != "OK") {
                let at = f
                    .position
                    .map(|p| format!(" at {}:{}", p.line, p.column))
                    .unwrap_or_default();
                let detail = f
                    .detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                crate::outln!("    {} {} {}{detail}{at}", f.severity, f.id, f.summary);
                crate::outln!("       {}", f.explanation);
            }
        }
        crate::outln!("  formatted:");
        for l in st.formatted.lines() {
            crate::outln!("    {l}");
        }
    }
    print_advice(&a.advice);
    crate::outln!(
        "{} statement(s), {} error(s), {} warning(s), score {} {}",
        a.statements.len(),
        a.check.errors.len(),
        a.check.warnings.len(),
        a.score.score,
        star_string(a.score.stars)
    );
    Ok(code)
}

fn print_advice(r: &opsdeck::sql::advise::AdviseReport) {
    if r.advice.is_empty() && r.notes.is_empty() {
        crate::outln!("index advice: none");
        return;
    }
    crate::outln!(
        "index advice ({}):",
        if r.live {
            "with the live indexes and cardinality"
        } else {
            "from the SQL alone"
        }
    );
    for a in &r.advice {
        crate::outln!("  statement {}: {}", a.statement, a.ddl);
        for why in &a.reasons {
            crate::outln!("    - {why}");
        }
    }
    for n in &r.notes {
        crate::outln!("  statement {}: note: {}", n.statement, n.text);
    }
}

/// `sql-optimize --online`: runs 9901 now, waits for it quietly, and prints the advice built on its output.
async fn online(ctx: &Context, spec: TaskSpec, lang: Lang, json: bool) -> anyhow::Result<ExitCode> {
    let sql = spec.args.get("SQL").cloned().unwrap_or_default();
    let b = backend(ctx).await?;
    let t = b.submit(spec).await?;
    eprintln!(
        "task {} submitted: reading EXPLAIN and indexes through the proxy",
        t.id
    );
    let mut s = b.follow(t.id, 1).await?;
    while s.next().await.is_some() {}
    let d = b.task(t.id).await?;
    let lines = b.logs(t.id, 1, 1_000_000).await?;
    if d.task.state != TaskState::Succeeded {
        for l in lines
            .iter()
            .filter(|l| l.stream != opsdeck::model::Stream::Stdout)
        {
            eprintln!("{}", super::task::format_line(l));
        }
        anyhow::bail!(
            "task {} {}: the live data could not be read (see `opsdeck task logs {}`)",
            t.id,
            d.task.state.as_str(),
            t.id
        );
    }
    let r = online_advice(&sql, &live_output(&lines), lang)
        .map_err(|e| anyhow::anyhow!("task {}: cannot read its output: {e}", t.id))?;
    if json {
        output::json(&r)?;
        return Ok(ExitCode::SUCCESS);
    }
    for e in &r.live.errors {
        eprintln!("warning: {e}");
    }
    for (name, tm) in &r.live.tables {
        let idx: Vec<String> = tm
            .indexes
            .iter()
            .map(|i| format!("{}({})", i.name, i.columns.join(",")))
            .collect();
        crate::outln!(
            "table {name}: ~{} rows, indexes {}",
            tm.rows.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
            if idx.is_empty() {
                "none".to_string()
            } else {
                idx.join(" ")
            }
        );
    }
    print_advice(&r.advice);
    Ok(ExitCode::SUCCESS)
}
