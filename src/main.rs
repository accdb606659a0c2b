//! The `conduit` binary: `conduit` (or `conduit serve`) runs the site,
//! `conduit migrate` only applies migrations.

use std::process::ExitCode;

use conduit::config::Config;
use conduit::db::Db;
use conduit::startup::Application;

const USAGE: &str = "usage: conduit [serve | migrate | help]

  serve     run the web server (the default)
  migrate   apply pending database migrations and exit

Configuration comes from environment variables (see README.md).";

fn main() -> ExitCode {
    // A missing .env is normal; a malformed one is worth saying.
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("conduit: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        None | Some("serve") => serve(),
        Some("migrate") => migrate(),
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

fn migrate() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let db = Db::connect(&config.database_url, 1)?;
    let applied = db.migrate()?;
    println!("applied {applied} migration(s)");
    Ok(())
}
