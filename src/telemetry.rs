//! Prometheus metrics: one recorder per process, rendered by `GET /metrics`.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets (seconds): fine below 10 ms, where this server lives.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Buckets (seconds) for the delay from another instance's commit to an invalidation
/// applied here: the cross-instance target is counted in tens of milliseconds.
const INVALIDATION_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0,
];

/// The process's metrics handle, installing the recorder on first use.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(
                    Matcher::Full("cache_invalidation_delay_seconds".into()),
                    INVALIDATION_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Suffix("seconds".into()), LATENCY_BUCKETS)
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                log::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            start_upkeep(handle.clone());
            handle
        })
        .clone()
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The recorder keeps each histogram sample until upkeep folds it into the buckets; only
/// rendering `/metrics` does that otherwise, so a server nobody scrapes (the default:
/// metrics are off without a token) would grow by every request it ever served. A thread
/// of its own runs the upkeep, so metrics cost a fixed amount of memory either way.
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name("conduit-metrics".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(e) = started {
        log::warn!("metrics upkeep not started ({e}); histograms drain only when scraped");
    }
}

/// Renders every metric in the Prometheus text format, after refreshing the gauges
/// that are read rather than counted.
pub fn render(db: &crate::db::Db) -> String {
    let handle = handle();
    let pool = db.pool_state();
    metrics::gauge!("db_pool_connections").set(f64::from(pool.connections));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(pool.idle));
    metrics::gauge!("db_pool_in_use_connections").set(f64::from(pool.connections - pool.idle));
    metrics::gauge!("db_pool_max_connections").set(f64::from(pool.max_size));
    metrics::counter!("db_statements_total").absolute(db.queries_executed());
    refresh_job_gauges(db);
    refresh_memory_gauges();
    handle.render()
}

/// `process_resident_memory_bytes`: the figure the memory budget is about, to read
/// beside the caches' own `cache_weighted_bytes`.
fn refresh_memory_gauges() {
    if let Some(bytes) = resident_bytes() {
        metrics::gauge!("process_resident_memory_bytes").set(bytes as f64);
    }
}

/// Resident set size, from the `VmRSS` line of `/proc/self/status` (in kB).
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kilobytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kilobytes * 1024)
}

#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

/// `jobs{state=…}` gauges from the queue table (every state appears, even at zero), and
/// the backlog: `jobs_due` (queued jobs whose time has come) and
/// `jobs_oldest_due_seconds` (how long the oldest of them has waited).
fn refresh_job_gauges(db: &crate::db::Db) {
    use crate::jobs::queue;
    let read = db.conn().map_err(|e| e.to_string()).and_then(|mut conn| {
        let totals = queue::state_totals(&mut conn).map_err(|e| e.to_string())?;
        let backlog = queue::backlog(&mut conn).map_err(|e| e.to_string())?;
        Ok((totals, backlog))
    });
    let (totals, backlog) = match read {
        Ok(read) => read,
        Err(e) => {
            log::warn!("job gauges unavailable: {e}");
            return;
        }
    };
    for state in [queue::QUEUED, queue::RUNNING, queue::DONE, queue::DEAD] {
        let count = totals
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n);
        // Job counts stay far below 2^53, where f64 is exact.
        metrics::gauge!("jobs", "state" => state).set(count as f64);
    }
    metrics::gauge!("jobs_due").set(backlog.due as f64);
    metrics::gauge!("jobs_oldest_due_seconds").set(backlog.oldest_wait.as_secs_f64());
}
