//! Several instances on one database: three real `conduit` processes (the binary the
//! tests were built with) beside the test's in-process app, as in production behind a
//! load balancer. A change made through one instance must show on every other.

use std::time::{Duration, Instant};

use awc::http::Method;
use serde_json::Value;

use crate::helpers::{METRICS_TOKEN, Reply, ServerProcess, TestApp, send};

pub mod coherence;
pub mod jobs;
pub mod limits;
pub mod members;
pub mod outage;
pub mod webhooks;

/// One instance of a cluster: a `conduit` process.
pub struct Node {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    client: awc::Client,
    process: Option<ServerProcess>,
}

impl Node {
    /// Sends `method path` to this instance, with an optional token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        send(&self.client, &self.base, method, path, token, body).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// `GET /metrics` of this instance, as text.
    pub async fn metrics(&self) -> String {
        let mut response = self
            .client
            .get(format!("{}/metrics", self.base))
            .insert_header(("Authorization", format!("Bearer {METRICS_TOKEN}")))
            .send()
            .await
            .expect("metrics answered");
        let body = response.body().limit(4 << 20).await.expect("metrics body");
        String::from_utf8_lossy(&body).into_owned()
    }

    /// The operating-system process id.
    pub fn pid(&self) -> u32 {
        self.process.as_ref().map_or(0, |p| p.child.id())
    }

    /// Kills the process with SIGKILL (no grace, as a crash) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Instances of the binary on the test's database.
pub struct Cluster {
    pub nodes: Vec<Node>,
}

/// What every instance of a cluster test runs with, before the test's own settings.
const BASE_ENV: &[(&str, &str)] = &[
    ("CONDUIT_METRICS_TOKEN", METRICS_TOKEN),
    ("CONDUIT_WORKERS", "0"),
    ("CONDUIT_JOB_POLL_MS", "20"),
];

impl Cluster {
    /// Starts `n` instances on `app`'s database with `envs` on top of the defaults.
    pub async fn start(app: &TestApp, n: usize, envs: &[(&str, &str)]) -> Cluster {
        let mut all: Vec<(&str, &str)> = BASE_ENV.to_vec();
        all.extend_from_slice(envs);
        let mut nodes = Vec::with_capacity(n);
        for _ in 0..n {
            let process = ServerProcess::start(app, &all).await;
            let node = Node {
                base: process.base.clone(),
                client: app.client.clone(),
                process: Some(process),
            };
            // Ready means listening for invalidations: only then do its caches fill.
            ready(&node.client, &node.base).await;
            nodes.push(node);
        }
        Cluster { nodes }
    }
}

/// Waits until `base` answers `/readyz` with 200 (database, workers and the cache
/// listener all up).
pub async fn ready(client: &awc::Client, base: &str) {
    let started = Instant::now();
    loop {
        let status = client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status());
        if matches!(status, Ok(s) if s.is_success()) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{base} is not ready: {status:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}
