//! Command-line parsing (clap) and dispatch to one file per subcommand family.

mod inventory;
mod output;
mod task;
mod template;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use opsdeck::config::Paths;
use opsdeck::context::Context;

#[derive(Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "A keyboard-driven console for publishing operations tasks to fleets of hosts",
    long_about = "opsdeck publishes operations tasks — app releases, approved SQL changes, node additions, \
custom templated commands — to fleets of hosts over SSH, with approvals and a live log of every host.\n\n\
Run without a subcommand for an overview of the inventory and templates."
)]
pub struct Cli {
    /// Config file [default: ~/.config/opsdeck/config.toml]; created with defaults on first run
    #[arg(long, global = true, env = "OPSDECK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory holding opsdeck.db [default: ~/.local/share/opsdeck]
    #[arg(long, global = true, env = "OPSDECK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Hosts, exec users, tags, databases and apps
    #[command(subcommand)]
    Inventory(inventory::InventoryCmd),
    /// Task templates: host groups, levels, steps and their args
    #[command(subcommand)]
    Template(template::TemplateCmd),
    /// Tasks: submit, list, show, logs, approve, reject, cancel, retry, release, skip
    #[command(subcommand)]
    Task(task::TaskCmd),
    /// Run the engine (scheduler and executor) in the foreground, without the console
    Engine,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = Paths::resolve(cli.config, cli.data_dir)?;
    let ctx = Context::open(paths)?;
    if ctx.first_run {
        eprintln!(
            "opsdeck: first run — created {} and seeded a demo inventory (host `localhost`, local connection)",
            ctx.paths.config_file.display()
        );
    }
    match cli.command {
        None => overview(&ctx),
        Some(Command::Inventory(c)) => inventory::run(&ctx, c),
        Some(Command::Template(c)) => template::run(&ctx, c),
        Some(Command::Task(c)) => runtime()?.block_on(task::run(&ctx, c)),
        Some(Command::Engine) => runtime()?.block_on(task::engine(&ctx)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn overview(ctx: &Context) -> anyhow::Result<ExitCode> {
    inventory::run(ctx, inventory::InventoryCmd::List { json: false })?;
    println!();
    template::run(ctx, template::TemplateCmd::List { json: false })
}
