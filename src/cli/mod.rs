//! Command-line parsing (clap) and dispatch to one file per subcommand family.

mod engine;
mod inventory;
mod nodes;
mod output;
mod serve;
mod sql;
mod submit;
mod task;
mod template;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use opsdeck::config::Paths;
use opsdeck::context::Context;
use opsdeck::model::Lang;

#[derive(Parser)]
#[command(
    name = "opsdeck",
    version,
    about = "A keyboard-driven console for publishing operations tasks to fleets of hosts",
    long_about = "opsdeck publishes operations tasks — app releases, approved SQL changes, node additions, \
custom templated commands — to fleets of hosts over SSH, with approvals and a live log of every host.\n\n\
Run without a subcommand to open the console (with no terminal it prints an overview instead)."
)]
pub struct Cli {
    /// Config file [default: ~/.config/opsdeck/config.toml]; created with defaults on first run
    #[arg(long, global = true, env = "OPSDECK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory holding opsdeck.db [default: ~/.local/share/opsdeck]
    #[arg(long, global = true, env = "OPSDECK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep tasks, logs, users and templates in this PostgreSQL database
    /// (postgres://user:password@host:port/db) instead of opsdeck.db in the data dir
    /// [default: config `database_url`]
    #[arg(
        long,
        global = true,
        env = "OPSDECK_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database_url: Option<String>,
    /// PostgreSQL: seconds a node's lease on a task holds without renewal, 3..=3600; a node that
    /// stops renewing has its running tasks interrupted by another node after about this long
    /// [default: config `lease_secs`, 30]
    #[arg(
        long,
        global = true,
        env = "OPSDECK_LEASE_SECS",
        value_name = "SECS",
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(u64).range(3..=3600)
    )]
    lease_secs: Option<u64>,
    /// Language of the console and of SQL messages: en or zh [default: config `lang`, then $LANG]
    #[arg(long, global = true, value_parser = ["en", "zh"])]
    lang: Option<String>,
    /// Team mode: work against this `opsdeck serve` (e.g. http://ops.example:8750) instead of the
    /// local data dir; the token comes from OPSDECK_TOKEN or the config's `token` [default: config `server`]
    #[arg(long, global = true, env = "OPSDECK_SERVER", value_name = "URL")]
    server: Option<String>,
    /// Log format of `serve`, the engine and commands (stderr; the engine's engine.log, the
    /// console's console.log): text, or json with one object per line for a log shipper
    #[arg(long, global = true, env = "OPSDECK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
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
    /// Fill one module's form and submit it: app, resource, node-add, custom, custom-proxy, json (--dry-run shows the commands)
    #[command(subcommand)]
    Submit(submit::SubmitCmd),
    /// The engine of this data dir: start (detached, or --foreground), status, stop, unit (systemd);
    /// alone, it runs in the foreground
    Engine {
        #[command(subcommand)]
        cmd: Option<engine::EngineCmd>,
    },
    /// Print a shell completion script: bash, zsh or fish
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// SQL toolkit: syntax check, fingerprint, beautify, SOAR score, index advice (no database needed)
    #[command(subcommand)]
    Sql(sql::SqlCmd),
    /// Users, roles and API tokens
    #[command(subcommand)]
    User(user::UserCmd),
    /// Team mode: run the engine headless with the HTTP API (/api/v1) for consoles, CLIs and scripts
    Serve(serve::ServeArgs),
    /// The engines (nodes) sharing this PostgreSQL database and their heartbeat age
    Nodes {
        #[arg(long)]
        json: bool,
    },
}

static REMOTE: std::sync::OnceLock<opsdeck::api::client::RemoteBackend> =
    std::sync::OnceLock::new();

/// The team server this run talks to (`--server` or the config's `server`), if any.
pub(crate) fn remote() -> Option<&'static opsdeck::api::client::RemoteBackend> {
    REMOTE.get()
}

/// Runs one remote call from a synchronous command.
pub(crate) fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, opsdeck::backend::BackendError>>,
) -> anyhow::Result<T> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)?)
}

fn connect_remote(flag: Option<String>, ctx: &Context) -> anyhow::Result<()> {
    let Some(url) = flag
        .or_else(|| ctx.config.server.clone())
        .filter(|u| !u.trim().is_empty())
    else {
        return Ok(());
    };
    let token = std::env::var("OPSDECK_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .or_else(|| ctx.config.token.clone())
        .unwrap_or_default();
    let rb = opsdeck::api::client::RemoteBackend::new(&url, &token)
        .map_err(|e| anyhow::anyhow!("--server: {e}"))?;
    let _ = REMOTE.set(rb);
    Ok(())
}

pub fn main() -> ExitCode {
    if let Some(file) = plain_fingerprint(std::env::args_os()) {
        return finish(sql::fingerprint_stream(&file, false, false));
    }
    let cli = Cli::parse();
    finish(run(cli))
}

fn finish(r: anyhow::Result<ExitCode>) -> ExitCode {
    match r {
        Ok(code) => code,
        Err(e) => {
            // Errors quote files, names and remote answers: never let them drive the terminal.
            let e = format!("{e:#}");
            eprintln!("error: {}", opsdeck::text::escape_for_terminal(&e));
            ExitCode::FAILURE
        }
    }
}

/// The file of `opsdeck sql fingerprint [FILE]` given with no option at all (the form a DBA runs
/// over a large file, side by side with `pt-fingerprint FILE`): it needs no option parsing,
/// config, logging or language, so it skips building clap's command tree, whose code and heap
/// were a tenth of the process's peak memory. Anything else (an option, `--help`, a second
/// argument) goes through clap. Unlike clap, this path does not validate the environment
/// variables of options that `sql fingerprint` does not use.
fn plain_fingerprint(
    mut args: impl Iterator<Item = std::ffi::OsString>,
) -> Option<Option<PathBuf>> {
    let _program = args.next()?;
    if args.next()? != "sql" || args.next()? != "fingerprint" {
        return None;
    }
    let file = args.next();
    if args.next().is_some() {
        return None;
    }
    match file {
        None => Some(None),
        Some(f) if f == "-" || !f.as_encoded_bytes().starts_with(b"-") => Some(Some(f.into())),
        Some(_) => None,
    }
}

/// Where the library's `tracing` events go: stderr for commands (for a detached engine that is
/// `DATA_DIR/engine.log`); for the console a file, never over its screen.
fn init_logging(console_log: Option<&std::path::Path>, format: LogFormat) {
    // An engine this process starts logs the same way.
    opsdeck::daemon::LOG_JSON.store(
        format == LogFormat::Json,
        std::sync::atomic::Ordering::Relaxed,
    );
    let writer: tracing_subscriber::fmt::writer::BoxMakeWriter = match console_log {
        Some(p) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            Ok(f) => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::sync::Mutex::new(f)),
            // No log file: the console stays silent rather than draw over itself.
            Err(_) => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::sink),
        },
        None => tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr),
    };
    let ansi = console_log.is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Pure commands need no config, store or engine.
    let is_console = cli.command.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout());
    if !is_console {
        init_logging(None, cli.log_format);
    }
    let command = match cli.command {
        Some(Command::Sql(c)) => {
            return sql::run(c, sql_lang(cli.lang.as_deref(), cli.config.clone()));
        }
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "opsdeck", &mut std::io::stdout());
            return Ok(ExitCode::SUCCESS);
        }
        other => other,
    };
    let mut paths = Paths::resolve(cli.config, cli.data_dir)?;
    paths.database_url = cli.database_url;
    let mut ctx = Context::open(paths)?;
    if let Some(secs) = cli.lease_secs {
        ctx.config.lease_secs = secs;
    }
    if is_console {
        init_logging(
            Some(&ctx.paths.data_dir.join("console.log")),
            cli.log_format,
        );
    }
    if ctx.first_run {
        eprintln!(
            "opsdeck: first run — created {} and seeded a demo inventory (host `localhost`, local connection)",
            ctx.paths.config_file.display()
        );
    }
    // The server itself, and the commands that administer this machine's data dir, stay local.
    if matches!(
        command,
        None | Some(Command::Task(_))
            | Some(Command::Submit(_))
            | Some(Command::Inventory(inventory::InventoryCmd::List { .. }))
            | Some(Command::Template(template::TemplateCmd::List { .. }))
            | Some(Command::Template(template::TemplateCmd::Show { .. }))
    ) {
        connect_remote(cli.server, &ctx)?;
    }
    match command {
        Some(Command::Sql(c)) => sql::run(
            c,
            Lang::resolve(cli.lang.as_deref(), ctx.config.lang.as_deref()),
        ),
        None if std::io::IsTerminal::is_terminal(&std::io::stdout()) => {
            let lang =
                opsdeck::tui::i18n::Lang::resolve(cli.lang.as_deref(), ctx.config.lang.as_deref());
            runtime()?.block_on(console(&ctx, lang))
        }
        None if remote().is_some() => runtime()?.block_on(task::run(
            &ctx,
            task::TaskCmd::List {
                states: Vec::new(),
                mine: false,
                limit: 50,
                json: false,
            },
        )),
        None => overview(&ctx),
        Some(Command::Inventory(c)) => inventory::run(&ctx, c),
        Some(Command::Template(c)) => template::run(&ctx, c),
        Some(Command::Task(c)) => runtime()?.block_on(task::run(&ctx, c)),
        Some(Command::Submit(c)) => runtime()?.block_on(submit::run(&ctx, c)),
        Some(Command::Engine { cmd }) => runtime()?.block_on(engine::run(&ctx, cmd)),
        Some(Command::Completions { .. }) => Ok(ExitCode::SUCCESS),
        Some(Command::User(c)) => user::run(&ctx, c),
        Some(Command::Serve(a)) => runtime()?.block_on(serve::run(&ctx, a)),
        Some(Command::Nodes { json }) => nodes::run(&ctx, json),
    }
}

/// The language of the SQL toolkit's messages: `--lang`, then the config file's `lang` when it
/// exists (the SQL commands never create one), then `$LANG`.
fn sql_lang(flag: Option<&str>, config: Option<PathBuf>) -> Lang {
    let from_config = Paths::resolve(config, None).ok().and_then(|p| {
        let src = std::fs::read_to_string(&p.config_file).ok()?;
        opsdeck::config::Config::parse(&src, &p.config_file.display().to_string())
            .ok()?
            .lang
    });
    Lang::resolve(flag, from_config.as_deref())
}

/// The console, a client of this data dir's engine (started when none runs) or of a team server.
async fn console(ctx: &Context, lang: opsdeck::tui::i18n::Lang) -> anyhow::Result<ExitCode> {
    if let Some(r) = remote() {
        opsdeck::tui::run(std::sync::Arc::new(r.clone()), lang).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let launcher = engine::launcher(ctx)?;
    let (mut st, _) = launcher.ensure().await?;
    if let Some(m) = opsdeck::daemon::version_mismatch(&st) {
        if st.running.is_empty()
            && ask(&format!(
                "{m}\nRestart the engine now (nothing runs)? [Y/n] "
            ))?
        {
            opsdeck::daemon::stop(&ctx.paths.data_dir, std::time::Duration::from_secs(30)).await?;
            st = launcher.ensure().await?.0;
            eprintln!("engine restarted: pid {}, opsdeck {}", st.pid, st.version);
        } else {
            eprintln!("warning: {m}");
        }
    }
    let backend = launcher.backend(&ctx.user)?;
    opsdeck::tui::run_in(
        std::sync::Arc::new(backend.clone()),
        lang,
        Some(ctx.paths.data_dir.clone()),
    )
    .await?;
    // Quitting never stops the engine: say what keeps running.
    if let Ok(st) = backend.engine().await
        && !st.running.is_empty()
    {
        let ids: Vec<String> = st.running.iter().map(|i| format!("#{i}")).collect();
        eprintln!(
            "opsdeck: the engine (pid {}) keeps running {} task(s): {} — `opsdeck task logs ID --follow`, `opsdeck engine status`",
            st.pid,
            st.running.len(),
            ids.join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A yes/no question on the terminal; Enter means yes.
fn ask(question: &str) -> anyhow::Result<bool> {
    use std::io::Write as _;
    eprint!("{question}");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let a = line.trim().to_ascii_lowercase();
    Ok(a.is_empty() || a == "y" || a == "yes")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(args: &[&str]) -> Option<Option<PathBuf>> {
        plain_fingerprint(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn only_a_bare_sql_fingerprint_skips_clap() {
        assert_eq!(plain(&["opsdeck", "sql", "fingerprint"]), Some(None));
        assert_eq!(
            plain(&["opsdeck", "sql", "fingerprint", "fp.sql"]),
            Some(Some("fp.sql".into()))
        );
        assert_eq!(
            plain(&["opsdeck", "sql", "fingerprint", "-"]),
            Some(Some("-".into()))
        );
        for other in [
            &["opsdeck"][..],
            &["opsdeck", "sql", "check", "fp.sql"],
            &["opsdeck", "sql", "fingerprint", "--id", "fp.sql"],
            &["opsdeck", "sql", "fingerprint", "--json"],
            &["opsdeck", "sql", "fingerprint", "--help"],
            &["opsdeck", "sql", "fingerprint", "a.sql", "b.sql"],
            &["opsdeck", "--lang", "zh", "sql", "fingerprint", "a.sql"],
        ] {
            assert_eq!(plain(other), None, "{other:?}");
        }
    }
}
