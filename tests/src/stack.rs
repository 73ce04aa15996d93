//! Starts the three real service binaries against a fresh database, the local NATS, a
//! Midtrans simulator and a RajaOngkir simulator (shipping is configured, so checkout needs
//! quoted shipments; `RAJAONGKIR_URL=""` and `RAJAONGKIR_API_KEY=""` in the extra environment
//! turn shipping off), and offers a small HTTP client for tests.
//!
//! The binaries come from the cargo target directory this test binary was built into
//! (`target/debug`); build them first with `cargo build --workspace --bins`.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

mod accounts;
mod instances;
mod processes;
mod tool;

use crate::midtrans_sim::{MidtransSim, SimConfig};
use crate::rajaongkir_sim::{self, RajaOngkirSim};

pub const JWT_SECRET: &str = "e2e-secret-e2e-secret-e2e-secret-0123";
pub const SERVER_KEY: &str = "SB-Mid-server-e2e-KEY";

pub struct Stack {
    pub database_url: String,
    pub command_url: String,
    pub query_url: String,
    pub projector_url: String,
    pub sim: MidtransSim,
    /// The RajaOngkir simulator the command API quotes shipping with.
    pub rajaongkir: RajaOngkirSim,
    pub http: reqwest::Client,
    /// The query API's own search index (`SEARCH_INDEX_DIR`), removed with the stack.
    pub search_index_dir: PathBuf,
    /// The services' `MEDIA_DIR` (product images when no S3 bucket is configured), removed
    /// with the stack.
    pub media_dir: PathBuf,
    children: Vec<(String, Child)>,
    env: Vec<(&'static str, String)>,
    /// Directories of extra instances ([`Stack::start_instance`]), removed with the stack.
    scratch: Vec<PathBuf>,
}

/// A local port free right now and never handed out before by this process. The tests of one
/// binary run side by side in one process: without the second rule, two stacks could be given
/// the same port (freed by the first before the second asks), and one stack's requests would
/// reach the other's service.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<u16>>> =
        std::sync::LazyLock::new(Default::default);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free local port");
        if GIVEN.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            return port;
        }
    }
}

/// A service binary of the same profile as this executable: beside it (a `pasar-bench` in
/// `target/release`) or one level up (a test binary in `target/debug/deps`).
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("locating the target directory")?;
    let candidates = [
        dir.join(name),
        dir.parent().map(|d| d.join(name)).unwrap_or_default(),
    ];
    candidates.into_iter().find(|p| p.is_file()).with_context(|| {
        format!(
            "{name} is missing next to {}: run `cargo build --workspace --bins` (with --release for benchmarks) first",
            exe.display()
        )
    })
}

impl Stack {
    pub async fn start() -> anyhow::Result<Stack> {
        Self::start_with(&[]).await
    }

    /// Like [`Stack::start`], with extra environment for the services (overrides defaults).
    /// Ports are picked free but can be taken by another test before a service binds them;
    /// a stack that fails to come up is retried on new ports.
    pub async fn start_with(extra_env: &[(&'static str, &str)]) -> anyhow::Result<Stack> {
        let base = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        Self::start_on(&base, extra_env).await
    }

    /// Like [`Stack::start_with`] on the PostgreSQL server at `base` (`postgres://…:port`).
    pub async fn start_on(base: &str, extra_env: &[(&'static str, &str)]) -> anyhow::Result<Stack> {
        let mut attempt = 1;
        loop {
            match Self::try_start(base, extra_env).await {
                Ok(stack) => return Ok(stack),
                Err(e) if attempt < 3 => {
                    eprintln!("stack did not come up ({e:#}); retrying on new ports");
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn try_start(base: &str, extra_env: &[(&'static str, &str)]) -> anyhow::Result<Stack> {
        let database_url = format!("{base}/pasar_e2e_{}", Uuid::new_v4().simple());
        let nats_url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
        let (command_port, query_port, projector_port) = (free_port(), free_port(), free_port());
        let search_index_dir =
            std::env::temp_dir().join(format!("pasar-e2e-search-{}", Uuid::new_v4().simple()));
        let media_dir =
            std::env::temp_dir().join(format!("pasar-e2e-media-{}", Uuid::new_v4().simple()));
        let command_url = format!("http://127.0.0.1:{command_port}");
        let sim = MidtransSim::start(SimConfig {
            server_key: SERVER_KEY.into(),
            notification_url: Some(format!("{command_url}/v1/webhooks/midtrans")),
        })
        .await?;
        let rajaongkir = RajaOngkirSim::start(rajaongkir_sim::SimConfig {
            api_key: "e2e-rajaongkir-key".into(),
            quota: None,
        })
        .await?;
        let mut env = vec![
            ("DATABASE_URL", database_url.clone()),
            ("NATS_URL", nats_url),
            ("JWT_SECRET", JWT_SECRET.into()),
            ("MIDTRANS_SERVER_KEY", SERVER_KEY.into()),
            ("MIDTRANS_SNAP_URL", sim.base_url()),
            ("MIDTRANS_API_URL", sim.base_url()),
            ("RAJAONGKIR_URL", rajaongkir.api_url()),
            ("RAJAONGKIR_API_KEY", rajaongkir.api_key().to_owned()),
            ("COMMAND_API_ADDR", format!("127.0.0.1:{command_port}")),
            ("QUERY_API_ADDR", format!("127.0.0.1:{query_port}")),
            ("PROJECTOR_ADDR", format!("127.0.0.1:{projector_port}")),
            (
                "SEARCH_INDEX_DIR",
                search_index_dir.to_string_lossy().into_owned(),
            ),
            ("MEDIA_DIR", media_dir.to_string_lossy().into_owned()),
            // Every stack would publish its own database's log into the one PASAR_EVENTS of
            // the shared NATS; the publisher has its own suite (projector/tests/publisher).
            ("PUBLISHER_ENABLED", "false".into()),
            // As the Dockerfile sets it: the allocator gives freed memory back at once.
            ("MIMALLOC_PURGE_DELAY", "0".into()),
            ("PASAR_ADMIN_EMAIL", "admin@pasar.test".into()),
            ("PASAR_ADMIN_PASSWORD", "admin-password-123".into()),
            (
                "RUST_LOG",
                std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".into()),
            ),
        ];
        env.extend(extra_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let mut stack = Stack {
            database_url,
            command_url,
            query_url: format!("http://127.0.0.1:{query_port}"),
            projector_url: format!("http://127.0.0.1:{projector_port}"),
            sim,
            rajaongkir,
            search_index_dir,
            media_dir,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()?,
            children: Vec::new(),
            env: Vec::new(),
            scratch: Vec::new(),
        };
        // The command API first: it creates the database and the event store.
        stack.spawn("command-api", &env)?;
        stack.wait_ready(&stack.command_url.clone()).await?;
        stack.spawn("projector", &env)?;
        stack.spawn("query-api", &env)?;
        stack.wait_ready(&stack.projector_url.clone()).await?;
        stack.wait_ready(&stack.query_url.clone()).await?;
        stack.env = env;
        Ok(stack)
    }

    fn spawn(&mut self, name: &str, env: &[(&str, String)]) -> anyhow::Result<()> {
        self.spawn_as(name, name, env)
    }

    /// Starts the service binary `name` as the child called `label`.
    fn spawn_as(&mut self, label: &str, name: &str, env: &[(&str, String)]) -> anyhow::Result<()> {
        let mut command = Command::new(binary(name)?);
        command
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if name == "projector" {
            command.arg("run");
        }
        self.children.push((
            label.to_owned(),
            command
                .spawn()
                .with_context(|| format!("starting {name}"))?,
        ));
        Ok(())
    }

    async fn wait_ready(&mut self, url: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = self.http.get(format!("{url}/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            for (name, child) in &mut self.children {
                if let Some(status) = child.try_wait()? {
                    bail!("{name} exited early: {status}");
                }
            }
            if Instant::now() > deadline {
                bail!("{url} not ready within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends a request; returns the status, the JSON body (Null if none) and the consistency token.
    pub async fn send(
        &self,
        method: Method,
        url: String,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value, Option<String>) {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let consistency = response
            .headers()
            .get("x-consistency-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            consistency,
        )
    }

    pub async fn command(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, Option<String>) {
        self.send(
            method,
            format!("{}{path}", self.command_url),
            token,
            body,
            &[],
        )
        .await
    }

    /// A query, optionally carrying a consistency token to read one's own write.
    pub async fn query(
        &self,
        path: &str,
        token: Option<&str>,
        consistency: Option<&str>,
    ) -> (StatusCode, Value) {
        let headers: Vec<(&str, &str)> = consistency
            .map(|c| ("x-consistency-token", c))
            .into_iter()
            .collect();
        let (status, body, _) = self
            .send(
                Method::GET,
                format!("{}{path}", self.query_url),
                token,
                None,
                &headers,
            )
            .await;
        (status, body)
    }

    /// Polls a query until `done` holds for its body, up to 20 s (for effects that happen
    /// asynchronously, e.g. reactors after a payment, where no consistency token exists).
    pub async fn eventually(
        &self,
        path: &str,
        token: Option<&str>,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.query(path, token, None).await;
            if status.is_success() && done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "condition not reached for {path}: last answer {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Raw events of one stream, straight from the log (for assertions about what was appended).
    pub async fn stream_events(&self, stream: &str) -> Vec<(String, Value)> {
        let (client, connection) =
            tokio_postgres::connect(&self.database_url, tokio_postgres::NoTls)
                .await
                .expect("db");
        tokio::spawn(connection);
        let rows = client
            .query("SELECT event_type, data FROM es_events WHERE stream_id = $1 ORDER BY stream_version", &[&stream])
            .await
            .expect("events");
        rows.iter().map(|r| (r.get(0), r.get(1))).collect()
    }

    /// Whether the command API was started with shipping (a non-empty `RAJAONGKIR_URL`).
    pub fn ships(&self) -> bool {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| *k == "RAJAONGKIR_URL")
            .is_some_and(|(_, v)| !v.is_empty())
    }

    /// Leaves `key` out of the environment of services started from now on (a restart).
    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| *k != key);
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.search_index_dir);
        let _ = std::fs::remove_dir_all(&self.media_dir);
        for dir in &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
        // Drop the test database from a thread of its own: Drop cannot await, and the test's
        // runtime may be shutting down.
        pasar_service::testing::drop_database_blocking(&self.database_url);
    }
}
