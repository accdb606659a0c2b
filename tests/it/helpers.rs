//! Spawns the real application (the same `Application::build` as `main`) on a free port,
//! over a fresh database per test: a temporary SQLite file, or a new PostgreSQL schema.

use std::future::Future;
use std::pin::Pin;

use awc::http::{Method, StatusCode};
use conduit::config::Config;
use conduit::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};

/// The database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A test body: gets a running app, panics on failure.
pub type TestFn = fn(TestApp) -> Pin<Box<dyn Future<Output = ()>>>;

/// Declares `(name, fn)` pairs for the runner from `async fn name(app: TestApp)` items.
#[macro_export]
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub fn tests() -> Vec<(&'static str, $crate::helpers::TestFn)> {
            vec![$((stringify!($name), |app| Box::pin($name(app)))),*]
        }
    };
}

/// Where the test's data lives, so it can be removed afterwards.
enum Store {
    // Held only so the directory lives as long as the app.
    Sqlite(#[expect(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, schema: String },
}

/// A running app and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: awc::Client,
    pub config: Config,
    /// The raw `DATABASE_URL`, for starting a second process on the same data.
    pub database_url: String,
    store: std::rc::Rc<Store>,
    /// Every server this test started, to stop them (and close their pools) at its end.
    pub servers: std::rc::Rc<std::cell::RefCell<Vec<actix_web::dev::ServerHandle>>>,
    /// Every job worker pool this test started, stopped with the servers.
    pub pools: Pools,
}

/// Worker pools to stop at the end of a test.
pub type Pools = std::rc::Rc<std::cell::RefCell<Vec<std::sync::Arc<conduit::jobs::WorkerPool>>>>;

/// A decoded response.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub json: Value,
    pub text: String,
}

pub const METRICS_TOKEN: &str = "metrics-token-for-tests";
pub const SECRET: &str = "test-secret-key-that-is-long-enough-0123456789";

fn config_for(database_url: &str, mail_dir: &std::path::Path) -> Config {
    let vars = [
        // Jobs: fast polls and short backoffs so tests see retries in milliseconds.
        ("CONDUIT_WORKERS", "2".to_owned()),
        ("CONDUIT_JOB_POLL_MS", "20".to_owned()),
        ("CONDUIT_JOB_BACKOFF_MS", "40".to_owned()),
        ("CONDUIT_JOB_BACKOFF_MAX_MS", "200".to_owned()),
        ("CONDUIT_JOB_LEASE_SECS", "5".to_owned()),
        ("CONDUIT_WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
        ("CONDUIT_MAIL_DIR", mail_dir.to_string_lossy().into_owned()),
        ("DATABASE_URL", database_url.to_owned()),
        ("CONDUIT_BIND", "127.0.0.1:0".to_owned()),
        ("CONDUIT_SECRET_KEY", SECRET.to_owned()),
        ("CONDUIT_DB_POOL_SIZE", "4".to_owned()),
        ("CONDUIT_METRICS_TOKEN", METRICS_TOKEN.to_owned()),
    ];
    let mut config = Config::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .expect("test configuration is valid");
    // The environment cannot go below the production floor (10); the in-process tests
    // hash hundreds of passwords, so they set bcrypt's minimum cost on the typed config.
    // Password rules and hashing still run for real, only faster.
    config.bcrypt_cost = 4;
    config
}

impl TestApp {
    /// A fresh database of `backend` and the app running on it.
    pub async fn spawn(backend: Backend) -> TestApp {
        let (database_url, store) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("conduit.db").to_string_lossy().into_owned();
                (url, Store::Sqlite(dir))
            }
            Backend::Postgres => {
                let base_url = std::env::var("CONDUIT_TEST_POSTGRES_URL").expect("postgres url");
                let schema = format!("t_{:016x}", rand::random::<u64>());
                let mut conn =
                    PgConnection::establish(&base_url).expect("connect to test postgres");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .expect("create schema");
                let sep = if base_url.contains('?') { '&' } else { '?' };
                let url = format!("{base_url}{sep}options=-csearch_path%3D{schema}");
                (url, Store::Postgres { base_url, schema })
            }
        };
        let mail_dir =
            std::env::temp_dir().join(format!("conduit-mail-{:016x}", rand::random::<u64>()));
        Self::start(
            config_for(&database_url, &mail_dir),
            database_url,
            std::rc::Rc::new(store),
            Default::default(),
            Default::default(),
        )
    }

    fn start(
        config: Config,
        database_url: String,
        store: std::rc::Rc<Store>,
        servers: std::rc::Rc<std::cell::RefCell<Vec<actix_web::dev::ServerHandle>>>,
        pools: Pools,
    ) -> TestApp {
        let app = Application::build(config.clone()).expect("application starts");
        servers.borrow_mut().push(app.handle());
        if let Some(pool) = app.workers() {
            pools.borrow_mut().push(pool);
        }
        let address = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run());
        TestApp {
            address,
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .finish(),
            config,
            database_url,
            store,
            servers,
            pools,
        }
    }

    /// A second server on the same database and secret, as after a restart.
    pub fn restart(&self) -> TestApp {
        Self::start(
            self.config.clone(),
            self.database_url.clone(),
            self.store.clone(),
            self.servers.clone(),
            self.pools.clone(),
        )
    }

    /// Stops every server and worker of this test, then starts one with `change` applied
    /// to the configuration, on the same database.
    pub async fn reconfigure(self, change: impl FnOnce(&mut Config)) -> TestApp {
        Self::stop_servers(&self.servers).await;
        Self::stop_pools(&self.pools);
        let mut config = self.config.clone();
        change(&mut config);
        Self::start(
            config,
            self.database_url.clone(),
            self.store.clone(),
            self.servers.clone(),
            self.pools.clone(),
        )
    }

    /// Stops every worker pool of this test (waiting for running jobs).
    pub fn stop_pools(pools: &Pools) {
        let pools: Vec<_> = pools.borrow_mut().drain(..).collect();
        for pool in pools {
            pool.shutdown(std::time::Duration::from_secs(30));
        }
    }

    /// Stops every server of this test and waits for them to close.
    pub async fn stop_servers(servers: &std::cell::RefCell<Vec<actix_web::dev::ServerHandle>>) {
        let handles: Vec<_> = servers.borrow_mut().drain(..).collect();
        for handle in handles {
            handle.stop(false).await;
        }
    }

    /// Sends `method path` with an optional token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        send(&self.client, &self.address, method, path, token, body).await
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

    /// Registers `username` (email `username@example.com`, password `password123`) and
    /// returns its token.
    pub async fn register(&self, username: &str) -> String {
        let reply = self
            .post(
                "/api/users",
                None,
                json!({"user": {"username": username, "email": format!("{username}@example.com"), "password": "password123"}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["user"]["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Publishes an article and returns its slug.
    pub async fn publish(&self, token: &str, title: &str, tags: &[&str]) -> String {
        let reply = self
            .post(
                "/api/articles",
                Some(token),
                json!({"article": {"title": title, "description": "about it", "body": "# Heading\n\nSome *text*.", "tagList": tags}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.json["article"]["slug"]
            .as_str()
            .expect("slug")
            .to_owned()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { base_url, schema } = self
            && let Ok(mut conn) = PgConnection::establish(base_url)
        {
            let _ = conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Sends `method base+path` with an optional token and JSON body, and reads the answer.
pub async fn send(
    client: &awc::Client,
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let url = format!("{base}{path}");
    let request = || {
        let request = client.request(method.clone(), &url);
        match token {
            Some(token) => request.insert_header(("Authorization", format!("Token {token}"))),
            None => request,
        }
    };
    let sent = match &body {
        Some(body) => request().send_json(body).await,
        None => request().send().await,
    };
    let mut response = match sent {
        // The server closed an idle pooled connection just as it was reused (a test that
        // waits on a command longer than the keep-alive): a GET is safe to send again.
        Err(awc::error::SendRequestError::Connect(awc::error::ConnectError::Disconnected))
            if method == Method::GET =>
        {
            request().send().await
        }
        other => other,
    }
    .expect("request is answered");
    let bytes = response.body().limit(10 * 1024 * 1024).await.expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Reply {
        status: response.status(),
        headers: response.headers().clone(),
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// The `.eml` files written so far, as (file name, raw text).
pub fn emails(app: &TestApp) -> Vec<(String, String)> {
    let Ok(dir) = std::fs::read_dir(&app.config.jobs.mail_dir) else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".eml"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

/// The texts of the emails whose file name starts with `prefix`, sent to `to`, once
/// there are at least `count` (waiting up to ten seconds for the workers), with
/// quoted-printable soft line breaks joined again so that long links read whole.
pub async fn emails_to(app: &TestApp, prefix: &str, to: &str, count: usize) -> Vec<String> {
    let started = std::time::Instant::now();
    loop {
        let found: Vec<String> = emails(app)
            .into_iter()
            .filter(|(name, text)| name.starts_with(prefix) && text.contains(&format!("To: {to}")))
            .map(|(_, text)| text.replace("=\r\n", ""))
            .collect();
        if found.len() >= count {
            return found;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no {prefix} email to {to}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Asserts the RealWorld error shape `{"errors": {field: [message, ...]}}`.
pub fn assert_error(reply: &Reply, status: StatusCode, field: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.json["errors"][field][0], message, "{}", reply.text);
}

/// The real `conduit` binary running as a child process on the test's database.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub base: String,
}

impl ServerProcess {
    /// Starts `conduit` on `app`'s database with `envs` and waits until it answers.
    ///
    /// The port is picked free, released, then bound by the binary: another process on
    /// this machine may take it in between, and would then answer in its place. So the
    /// answer counts only once the listening socket is this child's; otherwise the child
    /// is stopped and another port tried.
    pub async fn start(app: &TestApp, envs: &[(&str, &str)]) -> ServerProcess {
        for _ in 0..5 {
            if let Some(process) = Self::try_start(app, envs).await {
                return process;
            }
        }
        panic!("the binary did not come up on a port of its own in five tries");
    }

    async fn try_start(app: &TestApp, envs: &[(&str, &str)]) -> Option<ServerProcess> {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
            listener.local_addr().expect("addr").port()
        };
        let mut command = Self::command(app);
        command
            .env("CONDUIT_BIND", format!("127.0.0.1:{port}"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (key, value) in envs {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("binary starts");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            let exited = child.try_wait().expect("child status").is_some();
            if exited {
                // Most likely the port was taken before it bound it.
                return None;
            }
            let answered = app
                .client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok();
            if answered && listens_on(child.id(), port) {
                return Some(ServerProcess { child, base });
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the binary did not come up on {base}");
    }

    /// A `conduit` command on `app`'s database, with a clean environment.
    pub fn command(app: &TestApp) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_conduit"));
        command
            .env_clear()
            .env("DATABASE_URL", &app.database_url)
            .env("CONDUIT_SECRET_KEY", SECRET)
            // The lowest cost the binary accepts from its environment.
            .env("CONDUIT_BCRYPT_COST", "10")
            // As the in-process apps: tests run side by side, several instances each,
            // on one PostgreSQL server that takes 100 connections.
            .env("CONDUIT_DB_POOL_SIZE", "4")
            .current_dir(std::env::temp_dir());
        command
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        Self::terminate_pid(self.child.id());
    }

    /// Sends SIGTERM to `pid`.
    pub fn terminate_pid(pid: u32) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for exit; returns the exit status and everything written to stdout and stderr.
    pub fn wait_with_output(self) -> (std::process::ExitStatus, String) {
        let output = self.child.wait_with_output().expect("wait");
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        (output.status, text)
    }
}

/// Whether process `pid` holds the socket listening on 127.0.0.1:`port` (Linux: the
/// socket's inode in `/proc/net/tcp`, found among the process's descriptors).
fn listens_on(pid: u32, port: u16) -> bool {
    const LISTEN: &str = "0A";
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return true; // Not Linux: nothing to check by.
    };
    let local = format!("0100007F:{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&LISTEN))
                .then(|| fields.get(9).map(|inode| format!("socket:[{inode}]")))
                .flatten()
        })
        .collect();
    let Ok(descriptors) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    descriptors.flatten().any(|fd| {
        std::fs::read_link(fd.path())
            .is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
    })
}
