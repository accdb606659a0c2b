//! `conduit admin …`: the first admin and role changes, from the command line (there are
//! no default credentials anywhere; the first admin is made here).
//!
//! - `conduit admin create --username NAME --email EMAIL` asks for the password twice
//!   without echo on a terminal, or reads one line from stdin when it is piped.
//! - `conduit admin promote USERNAME --role admin|moderator|user`.

use std::io::{BufRead, IsTerminal, Write};

use crate::app::{App, moderation};
use crate::config::Config;
use crate::db::Db;
use crate::domain::audit::Actor;
use crate::domain::roles::Role;
use crate::domain::users::RegisterInput;
use crate::error::AppError;

/// Usage of the `admin` command.
pub const USAGE: &str =
    "usage: conduit admin create --username NAME --email EMAIL   (password from a prompt or stdin)
       conduit admin promote USERNAME --role admin|moderator|user";

/// Runs `conduit admin ARGS…`.
pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("create") => {
            let username = flag(args, "--username")?;
            let email = flag(args, "--email")?;
            let password = read_password()?;
            let app = open()?;
            let cost = Config::from_env().map_err(|e| e.to_string())?.bcrypt_cost;
            let input = RegisterInput {
                username: Some(username),
                email: Some(email),
                password: Some(password),
            };
            let user = block_on(async move { moderation::create_admin(&app, cost, input).await })?;
            println!("created admin {}", user.username);
            Ok(())
        }
        Some("promote") => {
            let username = args
                .get(1)
                .filter(|a| !a.starts_with("--"))
                .cloned()
                .ok_or_else(|| format!("promote needs a username\n{USAGE}"))?;
            let role_name = flag(args, "--role")?;
            let role = Role::parse(&role_name)
                .ok_or_else(|| format!("unknown role `{role_name}`\n{USAGE}"))?;
            let app = open()?;
            let name = username.clone();
            block_on(async move {
                moderation::change_role(&app, Actor::command_line(), name, role).await
            })?;
            println!("{username} is now {}", role.as_str());
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    }
}

/// The value after `name`.
fn flag(args: &[String], name: &str) -> Result<String, String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .filter(|v| !v.starts_with("--"))
        .cloned()
        .ok_or_else(|| format!("missing {name}\n{USAGE}"))
}

/// The database, migrated, with a write path whose changes every running server hears.
fn open() -> Result<App, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url, 1)?;
    db.migrate()?;
    App::without_caches(db)
}

fn block_on<T>(work: impl Future<Output = Result<T, AppError>>) -> Result<T, String> {
    actix_web::rt::System::new()
        .block_on(work)
        .map_err(describe)
}

/// A domain error as one line for the terminal.
fn describe(err: AppError) -> String {
    match err {
        AppError::Validation(errors) | AppError::Conflict(errors) => errors
            .messages()
            .map(|(field, message)| format!("{field} {message}"))
            .collect::<Vec<_>>()
            .join("; "),
        AppError::NotFound(what) => format!("no such {what}"),
        other => other.to_string(),
    }
}

/// The password: prompted twice without echo on a terminal, else the first line of stdin.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    let first = prompt_hidden("Password: ")?;
    let second = prompt_hidden("Password again: ")?;
    if first != second {
        return Err("the passwords differ".into());
    }
    Ok(first)
}

/// Reads one line from the terminal with echo off (through `stty`, so no unsafe code),
/// turning echo back on even when reading fails.
fn prompt_hidden(label: &str) -> Result<String, String> {
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !stty("-echo") {
        return Err("cannot turn off echo; pipe the password into stdin instead".into());
    }
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    stty("echo");
    eprintln!();
    read.map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
