//! `opsdeck submit <module> …`: fill one module's form from flags, then dry-run it or submit it through the Backend.

use std::io::Read as _;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use opsdeck::backend::Backend;
use opsdeck::context::Context;
use opsdeck::model::{Host, Invalid, Inventory, TaskSpec, TaskState, fmt_local};
use opsdeck::modules::{
    AppPublishForm, ArgRow, CustomForm, CustomJsonForm, CustomProxyForm, Form, ModuleContext,
    NodeAddForm, ResourceForm, plan,
};

use super::output;
use super::task::{backend, engine_for_wait, no_engine_note, wait_for};

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
        #[arg(long, default_value = "")]
        region: String,
        #[arg(long, default_value = "")]
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
        #[arg(long, default_value = "")]
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
    /// Custom task from CODO's JSON (自定义任务-JSON); FILE or `-` for stdin; --at overrides exec_time
    Json {
        file: String,
        #[command(flatten)]
        common: Common,
    },
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
    #[arg(long, default_value = "")]
    at: String,
    /// Who may approve it (repeatable); naming one makes the task need approval
    #[arg(long = "approver")]
    approvers: Vec<String>,
    /// Task name [default: from the module]
    #[arg(long, default_value = "")]
    name: String,
    #[arg(long, default_value = "")]
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
        | SubmitCmd::Json { common, .. } => common,
    }
}

pub async fn run(ctx: &Context, cmd: SubmitCmd) -> anyhow::Result<ExitCode> {
    let c = common(&cmd);
    let b = backend(ctx, None);
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
        return submitted(ctx, b.as_ref(), t, c).await;
    }
    let mctx = ModuleContext::load(b.as_ref(), &ctx.config).await?;
    let (spec, adhoc) = build(&cmd, &mctx)?;
    if c.dry_run {
        return dry_run(&mctx, &spec, &adhoc, c.json);
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
    let engine = if c.wait {
        engine_for_wait(ctx).await?
    } else {
        None
    };
    let b = backend(ctx, engine.clone());
    let t = b.submit(spec).await?;
    finish(ctx, b.as_ref(), engine, t, c).await
}

/// After a remote JSON submit: the same output as a local one.
async fn submitted(
    ctx: &Context,
    b: &dyn Backend,
    t: opsdeck::model::Task,
    c: &Common,
) -> anyhow::Result<ExitCode> {
    finish(ctx, b, None, t, c).await
}

fn read_doc(file: &str) -> anyhow::Result<String> {
    if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        return Ok(s);
    }
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {file}: {e}"))
}

async fn finish(
    ctx: &Context,
    b: &dyn Backend,
    engine: Option<opsdeck::engine::Engine>,
    t: opsdeck::model::Task,
    c: &Common,
) -> anyhow::Result<ExitCode> {
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
        return wait_for(b, engine, t.id, 1, c.json).await;
    }
    if c.json {
        output::json(&t)?;
    } else {
        println!("{}", t.id);
    }
    no_engine_note(ctx);
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
    println!(
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
        println!("  arg {k} = {v}");
    }
    for h in adhoc {
        println!("  ad-hoc host {} would be added to the inventory", h.name);
    }
    let mut last: Option<(u32, &str)> = None;
    for s in &steps {
        if last.map(|(g, _)| g) != Some(s.group) {
            println!("group {}", s.group);
        }
        if last != Some((s.group, s.host.as_str())) {
            let addr = inv.host(&s.host).map(|h| h.address.as_str()).unwrap_or("?");
            println!("  host {} ({addr})", s.host);
        }
        last = Some((s.group, s.host.as_str()));
        println!(
            "    level {} `{}` [{}]: {}",
            s.level, s.step, s.trigger, s.command
        );
        if !s.stdin.is_empty() {
            println!("      stdin: {}", s.stdin.join(", "));
        }
    }
    println!("nothing was submitted (--dry-run)");
    Ok(ExitCode::SUCCESS)
}
