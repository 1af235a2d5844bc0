//! `opsdeck inventory import|list`: load TOML or Ansible INI inventories into the store and show them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use opsdeck::context::Context;
use opsdeck::inventory::{self, Format};
use opsdeck::model::{Connection, Inventory};

use super::output;

#[derive(Subcommand)]
pub enum InventoryCmd {
    /// Import an inventory file (native TOML or Ansible INI); a bad file changes nothing
    Import {
        /// The inventory file
        #[arg(required_unless_present = "from_url", conflicts_with = "from_url")]
        file: Option<PathBuf>,
        /// Import hosts (and their tags) from a CMDB answering JSON over HTTP, mapped by the
        /// config's [cmdb] section; without a URL, the config's cmdb.url
        #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "")]
        from_url: Option<String>,
        /// File format: toml or ansible [default: detected from the name and content]
        #[arg(long, value_parser = parse_format)]
        format: Option<Format>,
        /// Replace the stored inventory instead of merging into it (entries are merged by name)
        #[arg(long)]
        replace: bool,
        /// Check the file and show what would be imported, without storing anything
        #[arg(long)]
        dry_run: bool,
    },
    /// List tags, hosts, exec users and apps
    List {
        /// Print the whole inventory as JSON (inline database passwords masked)
        #[arg(long)]
        json: bool,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).map_err(|e| e.to_string())
}

pub fn run(ctx: &Context, cmd: InventoryCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        InventoryCmd::Import {
            file,
            from_url,
            format,
            replace,
            dry_run,
        } => {
            let (incoming, file) = match (file, from_url) {
                (Some(file), _) => (inventory::load_file(&file, format)?, file),
                (None, Some(url)) => {
                    let url = if url.trim().is_empty() {
                        ctx.config.cmdb.url.clone().ok_or_else(|| {
                            anyhow::anyhow!("--from-url: give a URL or set cmdb.url in the config")
                        })?
                    } else {
                        url
                    };
                    let inv = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?
                        .block_on(inventory::cmdb::fetch(&url, &ctx.config.cmdb))?;
                    (inv, PathBuf::from(opsdeck::api::webhook::redacted(&url)))
                }
                (None, None) => anyhow::bail!("give an inventory FILE or --from-url URL"),
            };
            let summary = format!(
                "{} hosts, {} tags, {} exec users, {} apps",
                incoming.hosts.len(),
                incoming.tags.len(),
                incoming.exec_users.len(),
                incoming.apps.len()
            );
            if dry_run {
                let mut merged = if replace {
                    Inventory::default()
                } else {
                    ctx.store.load_inventory()?
                };
                merged.merge(incoming);
                if let Err(e) = merged.validate() {
                    anyhow::bail!(
                        "{}: the merged inventory would be invalid:\n{e}",
                        file.display()
                    );
                }
                crate::outln!(
                    "{}: OK ({summary}); nothing stored (--dry-run)",
                    file.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            match ctx.store.import_inventory(incoming, replace)? {
                Ok(_) => {
                    ctx.store.audit(
                        &ctx.user,
                        "import-inventory",
                        None,
                        &format!("{} ({summary})", file.display()),
                    )?;
                    crate::outln!("imported {}: {summary}", file.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => anyhow::bail!(
                    "{}: merged with the stored inventory it is invalid; nothing was imported:\n{e}",
                    file.display()
                ),
            }
        }
        InventoryCmd::List { json } => {
            let inv = masked(match super::remote() {
                Some(r) => super::block_on(opsdeck::backend::Backend::inventory(r))?,
                None => ctx.store.load_inventory()?,
            });
            if json {
                output::json(&inv)?;
                return Ok(ExitCode::SUCCESS);
            }
            print_inventory(&inv);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Inline passwords never leave the store in listings.
fn masked(mut inv: Inventory) -> Inventory {
    for t in &mut inv.tags {
        for d in &mut t.databases {
            if d.password.is_some() {
                d.password = Some("******".into());
            }
        }
    }
    inv
}

fn print_inventory(inv: &Inventory) {
    crate::outln!("TAGS");
    let rows: Vec<Vec<String>> = inv
        .tags
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                t.hosts.len().to_string(),
                t.proxy.clone().unwrap_or_else(|| "-".into()),
                t.databases
                    .iter()
                    .map(|d| format!("{}({:?})", d.name, d.role).to_lowercase())
                    .collect::<Vec<_>>()
                    .join(","),
                t.hosts.join(","),
            ]
        })
        .collect();
    output::table(&["NAME", "HOSTS", "PROXY", "DATABASES", "MEMBERS"], &rows);
    crate::outln!();
    crate::outln!("HOSTS");
    let rows: Vec<Vec<String>> = inv
        .hosts
        .iter()
        .map(|h| {
            vec![
                h.name.clone(),
                h.address.clone(),
                h.port.to_string(),
                match h.connection {
                    Connection::Ssh => "ssh".into(),
                    Connection::Local => "local".into(),
                },
                h.exec_user.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(
        &["NAME", "ADDRESS", "PORT", "CONNECTION", "EXEC USER"],
        &rows,
    );
    if !inv.exec_users.is_empty() {
        crate::outln!();
        crate::outln!("EXEC USERS");
        let rows: Vec<Vec<String>> = inv
            .exec_users
            .iter()
            .map(|u| {
                vec![
                    u.alias.clone(),
                    u.user.clone(),
                    u.key
                        .as_ref()
                        .map(|k| k.display().to_string())
                        .unwrap_or_else(|| "ssh-agent".into()),
                ]
            })
            .collect();
        output::table(&["ALIAS", "LOGIN", "KEY"], &rows);
    }
    if !inv.apps.is_empty() {
        crate::outln!();
        crate::outln!("APPS");
        let rows: Vec<Vec<String>> = inv
            .apps
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.template.to_string(),
                    a.tag.clone().unwrap_or_else(|| a.hosts.join(",")),
                    a.repository.clone(),
                ]
            })
            .collect();
        output::table(&["NAME", "TEMPLATE", "TARGETS", "REPOSITORY"], &rows);
    }
}
