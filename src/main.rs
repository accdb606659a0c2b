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

/// Keeps glibc's heap from growing with fragmentation. Measured in soaks
/// (docs/benchmarks.md): the memory in use stayed near 62 MB while the heap's pages grew
/// past 150 MB, spread over 16 per-thread arenas, and RSS kept climbing; one
/// `malloc_trim` gave back 46 MB at once. So: four arenas (the default is eight per
/// core; two cut RSS as much but slowed the job workers on SQLite), and every few
/// seconds the free pages inside them go back to the system (alone, without the cap,
/// that changed nothing). Blocks over 256 KB (a rendered page of a long thread) are
/// mapped and unmapped on their own rather than carved from an arena: glibc otherwise
/// raises that threshold to each large block freed, and the pages' growing buffers
/// fragmented the arenas (another 14 MB less over five minutes).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn tune_allocator() {
    const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
    // SAFETY: plain calls into glibc's allocator, which takes its own locks.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 4);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
    let trimmer = std::thread::Builder::new()
        .name("conduit-trim".into())
        .spawn(|| {
            loop {
                std::thread::sleep(TRIM_EVERY);
                // SAFETY: as above; 0 keeps no extra padding at the top of the heap.
                unsafe {
                    libc::malloc_trim(0);
                }
            }
        });
    if let Err(e) = trimmer {
        eprintln!("conduit: cannot start the allocator's trimming thread: {e}");
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
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
