//! The publisher on a three-node NATS cluster with the stream kept in three copies: any one
//! node may die (kill -9) while it publishes, and every event still arrives exactly once, in
//! log order.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use pasar_events::postgres::PgEventStore;
use uuid::Uuid;

use super::support::{
    Consumer, ProjectorProcess, append_widgets, assert_exactly_once_in_log_order, free_port,
};
use crate::support::TestDb;

/// Three `nats-server -js` nodes routed to each other (one JetStream cluster).
struct NatsCluster {
    urls: Vec<String>,
    dir: PathBuf,
    nodes: Vec<Option<Child>>,
}

impl NatsCluster {
    async fn start() -> Self {
        let dir =
            std::env::temp_dir().join(format!("pasar-nats-cluster-{}", Uuid::new_v4().simple()));
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let routes = ports
            .iter()
            .map(|(_, route)| format!("nats://127.0.0.1:{route}"))
            .collect::<Vec<_>>()
            .join(",");
        let bin =
            std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "/usr/sbin/nats-server".into());
        let nodes = ports
            .iter()
            .enumerate()
            .map(|(i, (client, route))| {
                let store = dir.join(format!("n{i}"));
                std::fs::create_dir_all(&store).expect("a store directory");
                let child = Command::new(&bin)
                    .args(["-a", "127.0.0.1", "-p", &client.to_string(), "-js", "-n"])
                    .arg(format!("n{i}"))
                    .args(["--cluster_name", "pasar", "--cluster"])
                    .arg(format!("nats://127.0.0.1:{route}"))
                    .args(["--routes", &routes, "-sd"])
                    .arg(&store)
                    .stdout(Stdio::null())
                    .stderr(
                        std::fs::File::create(dir.join(format!("n{i}.log"))).expect("a log file"),
                    )
                    .spawn()
                    .expect("nats-server (NATS_SERVER_BIN, default /usr/sbin/nats-server)");
                Some(child)
            })
            .collect();
        let urls = ports
            .iter()
            .map(|(client, _)| format!("nats://127.0.0.1:{client}"))
            .collect();
        let cluster = NatsCluster { urls, dir, nodes };
        cluster.until_jetstream_ready().await;
        cluster
    }

    /// Every node's URL, comma-separated (a `NATS_URL`).
    fn url(&self) -> String {
        self.urls.join(",")
    }

    /// Waits until the cluster can hold a stream in three copies (a probe stream is made).
    async fn until_jetstream_ready(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(client) = async_nats::connect(self.urls.clone()).await {
                let jetstream = async_nats::jetstream::new(client);
                let probe = async_nats::jetstream::stream::Config {
                    name: "READY_PROBE".into(),
                    subjects: vec!["ready.probe".into()],
                    num_replicas: 3,
                    ..Default::default()
                };
                if jetstream.create_stream(probe).await.is_ok() {
                    jetstream
                        .delete_stream("READY_PROBE")
                        .await
                        .expect("deleting the probe");
                    return;
                }
            }
            if tokio::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("n0.log")).unwrap_or_default();
                panic!("no JetStream cluster within 30 s; node n0 said:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn kill(&mut self, node: usize) {
        if let Some(mut child) = self.nodes[node].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for node in 0..self.nodes.len() {
            self.kill(node);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publisher_on_a_three_node_cluster_survives_the_loss_of_the_streams_leader() {
    // Arrange: the stream in three copies; 3,000 events published before the kill.
    let mut nats = NatsCluster::start().await;
    let db = TestDb::create().await;
    let store = PgEventStore::connect(&db.url).await.expect("event store");
    let env = [("PUBLISHER_STREAM_REPLICAS", "3")];
    let _projector = ProjectorProcess::start(&db.url, &nats.url(), &env).await;
    let consumer = Consumer::start(nats.url(), "PASAR_EVENTS");
    append_widgets(&store, 30, 3_000, 5, 2).await;
    consumer.wait_for(3_000, Duration::from_secs(60)).await;
    let client = async_nats::connect(nats.urls.clone()).await.unwrap();
    let jetstream = async_nats::jetstream::new(client);
    let mut stream = jetstream.get_stream("PASAR_EVENTS").await.unwrap();
    let info = stream.info().await.unwrap().clone();
    assert_eq!(
        info.config.num_replicas, 3,
        "created with PUBLISHER_STREAM_REPLICAS"
    );
    let leader = info
        .cluster
        .and_then(|c| c.leader)
        .expect("a stream leader");

    // Act: kill -9 the node that leads the stream while 3,000 more events are appended.
    let appender = {
        let store = store.clone();
        tokio::spawn(async move { append_widgets(&store, 30, 3_000, 5, 2).await })
    };
    nats.kill(
        leader
            .trim_start_matches('n')
            .parse()
            .expect("nodes are named n0..n2"),
    );
    appender.await.expect("appends");

    // Assert: all 6,000 arrive, each once, in log order, and the stream holds 6,000.
    consumer.wait_for(6_000, Duration::from_secs(120)).await;
    assert_exactly_once_in_log_order(&consumer.deliveries(), 6_000);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let messages = stream.info().await.map(|i| i.state.messages).unwrap_or(0);
        if messages == 6_000 {
            break;
        }
        assert!(
            messages < 6_000 && tokio::time::Instant::now() < deadline,
            "the stream holds {messages} messages, expected 6,000"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
