//! `opsdeck user add|list|disable|remove`: people, roles and API tokens (the token is printed
//! once, stored hashed).

use std::process::ExitCode;

use clap::Subcommand;
use opsdeck::api::auth::new_token;
use opsdeck::context::Context;
use opsdeck::model::{Role, User};

use super::output;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Add a user (or change their role) and print a new API token once
    Add {
        name: String,
        /// viewer (reads), operator (submits), approver (approves), admin (everything)
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long, default_value = "", hide_default_value = true)]
        display_name: String,
        /// Keep the user's existing token instead of issuing a new one
        #[arg(long)]
        no_token: bool,
    },
    /// List users and their roles
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a user's token and make them a viewer (they stay in history and lists)
    Disable { name: String },
    /// Delete a user and their token (tasks keep the name)
    Remove { name: String },
}

/// Refuses to take away the last admin of a store that has users.
fn keep_an_admin(ctx: &Context, name: &str) -> anyhow::Result<()> {
    let users = ctx.store.users()?;
    let admins: Vec<&User> = users.iter().filter(|u| u.role == Role::Admin).collect();
    if admins.len() == 1 && admins[0].name == name {
        anyhow::bail!(
            "`{name}` is the only admin; add another admin first (`opsdeck user add NAME --role admin`)"
        );
    }
    Ok(())
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
}

pub fn run(ctx: &Context, cmd: UserCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCmd::Add {
            name,
            role,
            display_name,
            no_token,
        } => {
            if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
                anyhow::bail!("user name `{name}`: must be non-empty without spaces");
            }
            let user = User {
                name: name.clone(),
                display_name,
                role,
            };
            let first_user = ctx.store.users()?.is_empty();
            if no_token {
                ctx.store.put_user(&user, None)?;
            } else {
                let (token, hash) = new_token().map_err(anyhow::Error::msg)?;
                ctx.store.put_user(&user, Some(&hash))?;
                crate::outln!("{token}");
                eprintln!(
                    "user {name} ({}): this token is shown once; keep it (OPSDECK_TOKEN)",
                    role.as_str()
                );
            }
            ctx.store.audit(
                &ctx.user,
                "user-add",
                None,
                &format!("{name} as {}", role.as_str()),
            )?;
            if first_user && name != ctx.user {
                eprintln!(
                    "note: the store had no users, so `{}` was an admin (single-user mode); now unknown users are operators — add yourself too",
                    ctx.user
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Disable { name } => {
            keep_an_admin(ctx, &name)?;
            if !ctx.store.disable_user(&name)? {
                anyhow::bail!("no user `{name}` (see `opsdeck user list`)");
            }
            ctx.store.audit(&ctx.user, "user-disable", None, &name)?;
            eprintln!("user {name}: token revoked, role viewer");
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::Remove { name } => {
            keep_an_admin(ctx, &name)?;
            if !ctx.store.remove_user(&name)? {
                anyhow::bail!("no user `{name}` (see `opsdeck user list`)");
            }
            ctx.store.audit(&ctx.user, "user-remove", None, &name)?;
            eprintln!("user {name} removed");
            Ok(ExitCode::SUCCESS)
        }
        UserCmd::List { json } => {
            let users = ctx.store.users()?;
            if json {
                output::json(&users)?;
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.name.clone(),
                            u.role.as_str().to_string(),
                            u.display_name.clone(),
                        ]
                    })
                    .collect();
                output::table(&["NAME", "ROLE", "DISPLAY NAME"], &rows);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
