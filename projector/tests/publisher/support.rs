//! A private `nats-server` per test (so a test may stop it), a durable consumer that records
//! what it receives, the real `projector` binary as a child process, and log appends.

use std::collections::{BTreeMap, HashMap};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, pull};
use futures::StreamExt;
use pasar_events::postgres::PgEventStore;
use pasar_events::{EventStore, ExpectedVersion, Metadata, NewEvent, Position};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use uuid::Uuid;

/// The binary, overridable for machines that keep it elsewhere.
fn nats_server_bin() -> String {
    std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "/usr/sbin/nats-server".into())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A `nats-server -js` of this test's own, on a free port with a store directory that
/// survives [`NatsServer::kill`] (so [`NatsServer::restart`] finds its streams again).
pub struct NatsServer {
    pub port: u16,
    pub url: String,
    dir: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    pub async fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("pasar-nats-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a store directory");
        let mut server = NatsServer {
            port,
            url: format!("nats://127.0.0.1:{port}"),
            dir,
            child: None,
        };
        server.launch().await;
        server
    }

    async fn launch(&mut self) {
        let child = Command::new(nats_server_bin())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "nats-server must be installed (NATS_SERVER_BIN, default /usr/sbin/nats-server)",
            );
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nats-server never listened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no goodbye to clients, nothing flushed beyond what the OS already has.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts again on the same port and store directory.
    pub async fn restart(&mut self) {
        self.kill();
        self.launch().await;
    }

    pub async fn client(&self) -> async_nats::Client {
        async_nats::connect(&self.url)
            .await
            .expect("connecting to nats-server")
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One delivery seen by the consumer.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: Uuid,
    pub stream: String,
    pub stream_version: i64,
    pub position: Position,
    pub stream_sequence: u64,
}

/// A durable pull consumer on `stream`, fetching and acking in a background task until
/// dropped; it reconnects on its own while the server is away.
pub struct Consumer {
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    task: JoinHandle<()>,
}

impl Consumer {
    pub fn start(url: String, stream: &str) -> Self {
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let (seen, stream) = (Arc::clone(&deliveries), stream.to_owned());
        let task = tokio::spawn(async move {
            loop {
                if let Err(e) = consume(&url, &stream, &seen).await {
                    tracing::debug!(error = %e, "test consumer retrying");
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Consumer { deliveries, task }
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// Distinct events delivered so far.
    pub fn distinct(&self) -> usize {
        let deliveries = self.deliveries.lock().unwrap();
        let mut ids: Vec<Uuid> = deliveries.iter().map(|d| d.event_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// Waits until `count` distinct events arrived.
    pub async fn wait_for(&self, count: usize, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.distinct() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the consumer saw {} of {count} events",
                self.distinct()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn consume(
    url: &str,
    stream: &str,
    seen: &Mutex<Vec<Delivery>>,
) -> Result<(), async_nats::Error> {
    let client = async_nats::connect(pasar_service::nats_urls(url)).await?;
    let jetstream = async_nats::jetstream::new(client);
    let stream = jetstream.get_stream(stream).await?;
    let consumer = stream
        .get_or_create_consumer(
            "test-consumer",
            pull::Config {
                durable_name: Some("test-consumer".into()),
                ack_policy: AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                ..Default::default()
            },
        )
        .await?;
    loop {
        let mut batch = consumer
            .fetch()
            .max_messages(1000)
            .expires(Duration::from_millis(500))
            .messages()
            .await?;
        while let Some(message) = batch.next().await {
            let message = message?;
            let body: Value = serde_json::from_slice(&message.payload)?;
            let delivery = Delivery {
                event_id: body["event_id"].as_str().unwrap_or_default().parse()?,
                stream: body["stream"].as_str().unwrap_or_default().to_owned(),
                stream_version: body["stream_version"].as_i64().unwrap_or_default(),
                position: body["position"]
                    .as_str()
                    .unwrap_or_default()
                    .parse()
                    .map_err(|_| "no position")?,
                stream_sequence: message.info()?.stream_sequence,
            };
            message.ack().await?;
            seen.lock().unwrap().push(delivery);
        }
    }
}

/// Asserts what the integration stream must hold for `expected` appended events: each event
/// in exactly one stream message, the messages in log order (positions increasing with the
/// stream sequence), every log stream's versions 1, 2, 3, … without a gap. Returns how many
/// deliveries were redeliveries (consumer-side at-least-once, allowed).
#[track_caller]
pub fn assert_exactly_once_in_log_order(deliveries: &[Delivery], expected: usize) -> usize {
    let mut sequences_of: HashMap<Uuid, Vec<u64>> = HashMap::new();
    let mut by_sequence: BTreeMap<u64, &Delivery> = BTreeMap::new();
    for d in deliveries {
        let sequences = sequences_of.entry(d.event_id).or_default();
        if !sequences.contains(&d.stream_sequence) {
            sequences.push(d.stream_sequence);
        }
        by_sequence.insert(d.stream_sequence, d);
    }
    let twice: Vec<_> = sequences_of.iter().filter(|(_, s)| s.len() > 1).collect();
    assert!(twice.is_empty(), "events stored more than once: {twice:?}");
    assert_eq!(
        sequences_of.len(),
        expected,
        "distinct events in the stream"
    );
    assert_eq!(by_sequence.len(), expected, "stream messages delivered");
    let mut last_position = Position::START;
    let mut versions: HashMap<&str, i64> = HashMap::new();
    for (sequence, d) in &by_sequence {
        assert!(
            d.position > last_position,
            "message {sequence} ({}) is not after {last_position}",
            d.position
        );
        last_position = d.position;
        let version = versions.entry(d.stream.as_str()).or_insert(0);
        assert_eq!(
            d.stream_version,
            *version + 1,
            "{} out of order at message {sequence}",
            d.stream
        );
        *version = d.stream_version;
    }
    deliveries.len() - by_sequence.len()
}

/// `events` events of type `WidgetTicked` spread over `streams` streams of category `widget`
/// (no projection reads it), appended `per_append` at a time by `writers` concurrent writers.
pub async fn append_widgets(
    store: &PgEventStore,
    streams: usize,
    events: usize,
    per_append: usize,
    writers: usize,
) -> Position {
    let names: Vec<String> = (0..streams)
        .map(|_| format!("widget-{}", Uuid::new_v4()))
        .collect();
    let per_stream = events / streams;
    // Round-robin over the streams, so the log interleaves them.
    let mut jobs: Vec<(String, usize)> = Vec::new();
    for round in 0..per_stream.div_ceil(per_append) {
        for name in &names {
            let n = per_append.min(per_stream - round * per_append);
            jobs.push((name.clone(), n));
        }
    }
    let jobs = Arc::new(Mutex::new(jobs.into_iter().rev().collect::<Vec<_>>()));
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (store, jobs) = (store.clone(), Arc::clone(&jobs));
        tasks.push(tokio::spawn(async move {
            let mut last = Position::START;
            loop {
                // Per stream, jobs are taken in order and each writer appends one at a time;
                // two writers may still race on one stream, which `Any` serialises.
                let Some((stream, n)) = jobs.lock().unwrap().pop() else {
                    return last;
                };
                let batch = (0..n)
                    .map(|i| NewEvent {
                        event_id: Uuid::new_v4(),
                        event_type: "WidgetTicked".into(),
                        schema_version: 1,
                        data: json!({ "tick": i }),
                        metadata: Metadata::default(),
                    })
                    .collect();
                let appended = store
                    .append(&stream, ExpectedVersion::Any, batch)
                    .await
                    .expect("append");
                last = last.max(appended.position);
            }
        }));
    }
    let mut last = Position::START;
    for task in tasks {
        last = last.max(task.await.unwrap());
    }
    last
}

/// Waits until the whole log up to `target` is readable.
pub async fn wait_readable(store: &PgEventStore, target: Position) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let head = store.head().await.expect("head");
        if head >= target {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "log never reached {target}"
        );
        store.wait_for_events(head, Duration::from_secs(1)).await;
    }
}

/// The real `projector run` binary on `database_url`, with `env` added; killed when dropped.
pub struct ProjectorProcess {
    child: Child,
    pub base_url: String,
}

impl ProjectorProcess {
    pub async fn start(database_url: &str, nats_url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let log_to_stderr = std::env::var("E2E_LOG").is_ok();
        let child = Command::new(env!("CARGO_BIN_EXE_projector"))
            .arg("run")
            .env("DATABASE_URL", database_url)
            .env("NATS_URL", nats_url)
            .env("PROJECTOR_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "RUST_LOG",
                std::env::var("E2E_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(if log_to_stderr {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("the projector binary (cargo builds it for this test)");
        let process = ProjectorProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        process.wait_ready().await;
        process
    }

    async fn wait_ready(&self) {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.base_url)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "projector never got ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL, as a crash or the OOM killer would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.base_url))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics text")
    }
}

impl Drop for ProjectorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
