//! `conduit worker`: job workers without the web server, for deployments that run them
//! apart. Stops on SIGTERM or Ctrl-C after the running jobs finish (within the grace).

use crate::config::Config;
use crate::db::Db;

/// Runs `CONDUIT_WORKERS` workers (at least one) until a stop signal.
pub fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let applied = Db::connect(&config.database_url, 1)?.migrate()?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    let workers = config.jobs.workers.max(1);
    let pool = super::start_workers(&config, workers)?;
    actix_web::rt::System::new().block_on(async {
        let mut terminate = actix_web::rt::signal::unix::signal(
            actix_web::rt::signal::unix::SignalKind::terminate(),
        )
        .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
        tokio_select(&mut terminate).await;
        Ok::<_, String>(())
    })?;
    log::info!("stopping job workers");
    let grace = std::time::Duration::from_secs(crate::startup::SHUTDOWN_GRACE_SECS);
    if pool.shutdown(grace) {
        Ok(())
    } else {
        Err("job workers did not finish in time".into())
    }
}

/// Waits for SIGTERM or Ctrl-C, whichever comes first.
async fn tokio_select(terminate: &mut actix_web::rt::signal::unix::Signal) {
    let ctrl_c = std::pin::pin!(actix_web::rt::signal::ctrl_c());
    let term = std::pin::pin!(terminate.recv());
    futures_either(ctrl_c, term).await;
}

async fn futures_either<A: std::future::Future, B: std::future::Future>(
    a: std::pin::Pin<&mut A>,
    b: std::pin::Pin<&mut B>,
) {
    let mut a = a;
    let mut b = b;
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}
