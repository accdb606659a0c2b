//! The `conduit` binary: `conduit` (or `conduit serve`) runs the site,
//! `conduit migrate` only applies migrations.

use std::process::ExitCode;

use conduit::config::Config;
use conduit::db::Db;
use conduit::startup::Application;

const USAGE: &str =
    "usage: conduit [serve | migrate | backup PATH | admin … | worker | seed OPTIONS | help]

  serve        run the web server (the default)
  migrate      apply pending database migrations and exit
  backup PATH  copy the SQLite database to a new file PATH, safely while the server runs
  admin …      create the first admin or change roles (`conduit admin` for details)
  worker       run background job workers only (no web server)
  seed --users N --articles M --comments K --follows F --favorites V
               generate a realistic data set (for benchmarks and demos)

Configuration comes from environment variables (see README.md).";

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("conduit: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    let json_logs =
        match conduit::config::log_format_is_json(std::env::var("CONDUIT_LOG_FORMAT").ok()) {
            Ok(json) => json,
            Err(e) => {
                eprintln!("conduit: {e}");
                return ExitCode::FAILURE;
            }
        };
    conduit::logging::init(json_logs);

    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        None | Some("serve") => serve(),
        Some("migrate") => migrate(),
        Some("backup") => match std::env::args().nth(2) {
            Some(path) => backup(&path),
            None => Err(format!("backup needs a target file\n{USAGE}")),
        },
        Some("admin") => conduit::admin_cli::run(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("worker") => conduit::jobs::command::run(),
        Some("seed") => conduit::seed::command(&std::env::args().skip(2).collect::<Vec<_>>()),
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("conduit: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(config)?;
        app.run().await.map_err(|e| format!("server stopped: {e}"))
    })
}

fn backup(path: &str) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url, 1)?;
    db.backup_into(std::path::Path::new(path))?;
    println!("backed up to {path}");
    Ok(())
}

fn migrate() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url, 1)?;
    let applied = db.migrate()?;
    println!("applied {applied} migration(s)");
    Ok(())
}
