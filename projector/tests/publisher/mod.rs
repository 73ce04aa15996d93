//! The integration-event publisher against a private `nats-server` and a fresh database:
//! in process here, as the real binary in `sigkill.rs` and `nats_outage.rs`.

mod cluster;
mod nats_outage;
mod sigkill;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::Utc;
use pasar_events::postgres::PgEventStore;
use pasar_events::types::{CustomerEvent, DomainEvent, Role, streams};
use pasar_events::{EventStore, ExpectedVersion, Metadata, Position};
use pasar_projector::metrics::Metrics;
use pasar_projector::publisher::{
    EVENT_TYPE_HEADER, POSITION_HEADER, Publisher, PublisherError, REDACTED, SCHEMA_VERSION_HEADER,
};
use pasar_projector::{PublisherConfig, migrate};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::TestDb;
use support::{NatsServer, append_widgets, wait_readable};

/// A database with its event store, and a publisher on it towards `nats`.
struct Setup {
    store: PgEventStore,
    publisher: Publisher,
    jetstream: jetstream::Context,
    metrics: Arc<Metrics>,
    db: TestDb,
}

impl Setup {
    async fn new(nats: &NatsServer, config: PublisherConfig) -> Self {
        let db = TestDb::create().await;
        let store = PgEventStore::connect(&db.url).await.expect("event store");
        let pool = pasar_events::postgres::pool(&db.url, 4).expect("pool");
        migrate::migrate(&pool).await.expect("read-model schema");
        let jetstream = Publisher::jetstream(nats.client().await);
        let metrics = Arc::new(Metrics::default());
        let publisher = Publisher::new(
            Arc::new(store.clone()),
            pool,
            jetstream.clone(),
            config,
            Arc::clone(&metrics.publisher),
        )
        .await
        .expect("publisher");
        Setup {
            store,
            publisher,
            jetstream,
            metrics,
            db,
        }
    }

    /// Publishes until the checkpoint covers `target` (appends become readable only once
    /// older transactions in the cluster have finished).
    async fn publish_up_to(&self, target: Position) -> u64 {
        wait_readable(&self.store, target).await;
        let published = self.publisher.catch_up().await.expect("catch up");
        assert!(
            published.position >= target,
            "{published:?} short of {target}"
        );
        published.events
    }

    /// Every message of the stream, in stream order.
    async fn messages(&self) -> Vec<jetstream::message::StreamMessage> {
        let stream = self
            .jetstream
            .get_stream(&self.publisher.config().stream)
            .await
            .expect("the stream exists");
        let last = stream.cached_info().state.last_sequence;
        let mut messages = Vec::new();
        for sequence in 1..=last {
            messages.push(stream.get_raw_message(sequence).await.expect("message"));
        }
        messages
    }
}

fn body(message: &jetstream::message::StreamMessage) -> Value {
    serde_json::from_slice(&message.payload).expect("a JSON body")
}

fn header<'a>(message: &'a jetstream::message::StreamMessage, name: &str) -> &'a str {
    message
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("{name} on {}", message.subject))
        .as_str()
}

fn registered(customer_id: Uuid) -> Vec<CustomerEvent> {
    vec![
        CustomerEvent::CustomerRegistered {
            customer_id,
            email: "siti@pasar.test".into(),
            full_name: "Siti".into(),
            role: Role::Buyer,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            registered_at: Utc::now(),
        },
        CustomerEvent::SessionStarted {
            family_id: Uuid::new_v4(),
            token_hash: "9f86d081884c7d659a2feaa0c55ad015".into(),
            expires_at: Utc::now(),
        },
    ]
}

#[tokio::test]
async fn each_event_is_published_once_with_its_subject_headers_and_redacted_body() {
    // Arrange
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let customer = Uuid::new_v4();
    let correlation_id = Uuid::new_v4();
    let events = registered(customer)
        .iter()
        .map(|e| {
            e.to_new_event(
                Uuid::new_v4(),
                Metadata {
                    correlation_id: Some(correlation_id),
                    idempotency_key: Some("client-key".into()),
                    ..Metadata::default()
                },
            )
        })
        .collect();
    let appended = setup
        .store
        .append(
            &streams::customer(customer),
            ExpectedVersion::NoStream,
            events,
        )
        .await
        .unwrap();

    // Act
    let published = setup.publish_up_to(appended.position).await;
    let again = setup.publisher.catch_up().await.unwrap();

    // Assert
    assert_eq!(published, 2);
    assert_eq!(again.events, 0, "nothing is published twice");
    assert_eq!(setup.metrics.publisher.published(), 2);
    assert_eq!(
        setup.publisher.checkpoint().await.unwrap(),
        appended.position
    );
    let messages = setup.messages().await;
    assert_eq!(messages.len(), 2);
    let (first, second) = (&messages[0], &messages[1]);
    assert_eq!(first.subject.as_str(), "pasar.customer.CustomerRegistered");
    assert_eq!(second.subject.as_str(), "pasar.customer.SessionStarted");
    let registered = body(first);
    assert_eq!(header(first, "Nats-Msg-Id"), registered["event_id"]);
    assert_eq!(header(first, EVENT_TYPE_HEADER), "CustomerRegistered");
    assert_eq!(header(first, SCHEMA_VERSION_HEADER), "1");
    assert_eq!(header(first, POSITION_HEADER), registered["position"]);
    assert_eq!(registered["stream"], streams::customer(customer));
    assert_eq!(registered["stream_version"], 1);
    assert_eq!(registered["data"]["email"], "siti@pasar.test");
    assert_eq!(registered["data"]["password_hash"], REDACTED);
    assert_eq!(body(second)["data"]["token_hash"], REDACTED);
    assert_eq!(
        registered["metadata"],
        json!({ "correlation_id": correlation_id })
    );
    for message in &messages {
        let text = String::from_utf8_lossy(&message.payload);
        assert!(
            !text.contains("argon2id") && !text.contains("9f86d081"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_crash_between_the_acks_and_the_checkpoint_commit_republishes_nothing() {
    // Arrange: everything published, then the checkpoint set back to the start, as if the
    // process died after the acks and before the commit.
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&setup.store, 10, 200, 5, 2).await;
    setup.publish_up_to(head).await;
    let client = setup.db.url.clone();
    let (db, connection) = tokio_postgres::connect(&client, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    db.execute(
        "UPDATE processor_checkpoints SET txid = 0, global = 0 WHERE name LIKE 'publisher.%'",
        &[],
    )
    .await
    .unwrap();

    // Act
    let republished = setup.publisher.catch_up().await.unwrap();

    // Assert: the stream's last message moved the checkpoint; no message was sent again.
    assert_eq!(republished.events, 0);
    assert_eq!(republished.position, head);
    assert_eq!(setup.publisher.checkpoint().await.unwrap(), head);
    assert_eq!(setup.messages().await.len(), 200);
}

#[tokio::test]
async fn the_publisher_refuses_a_stream_that_holds_another_logs_events() {
    // Arrange: two databases, one stream.
    let nats = NatsServer::start().await;
    let first = Setup::new(&nats, PublisherConfig::default()).await;
    let second = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&first.store, 2, 10, 5, 1).await;
    first.publish_up_to(head).await;
    let other_head = append_widgets(&second.store, 2, 10, 5, 1).await;
    wait_readable(&second.store, other_head).await;

    // Act
    let refused = second.publisher.catch_up().await;

    // Assert
    assert!(
        matches!(refused, Err(PublisherError::ForeignStream { .. })),
        "{refused:?}"
    );
    assert_eq!(first.messages().await.len(), 10);
    assert_eq!(
        second.publisher.checkpoint().await.unwrap(),
        Position::START
    );
}

#[tokio::test]
async fn resetting_a_stream_left_by_another_log_publishes_this_log_from_its_start() {
    // Arrange: the stream holds the first database's log; the second's publisher is refused.
    let nats = NatsServer::start().await;
    let first = Setup::new(&nats, PublisherConfig::default()).await;
    let second = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&first.store, 2, 10, 5, 1).await;
    first.publish_up_to(head).await;
    let other_head = append_widgets(&second.store, 2, 12, 4, 1).await;
    wait_readable(&second.store, other_head).await;
    let refused = second.publisher.check_stream().await;
    assert!(
        matches!(refused, Err(PublisherError::ForeignStream { .. })),
        "{refused:?}"
    );

    // Act: what `projector reset-stream --yes` does.
    let deleted = second.publisher.reset_stream().await.unwrap();
    let published = second.publisher.catch_up().await.unwrap();

    // Assert: a new stream holding exactly the second log, and the check passes.
    assert!(deleted);
    assert_eq!(published.position, other_head);
    assert_eq!(second.messages().await.len(), 12);
    second.publisher.check_stream().await.unwrap();
}

#[tokio::test]
async fn a_message_slipped_into_the_stream_stops_the_publisher_instead_of_a_gap() {
    // Arrange
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&setup.store, 1, 5, 5, 1).await;
    setup.publish_up_to(head).await;
    setup
        .jetstream
        .publish("pasar.widget.Intruder", "{}".into())
        .await
        .unwrap()
        .await
        .unwrap();
    let next = append_widgets(&setup.store, 1, 5, 5, 1).await;
    wait_readable(&setup.store, next).await;

    // Act
    let refused = setup.publisher.catch_up().await;

    // Assert
    assert!(
        matches!(refused, Err(PublisherError::ForeignStream { .. })),
        "{refused:?}"
    );
    assert_eq!(setup.publisher.checkpoint().await.unwrap(), head);
    assert_eq!(setup.messages().await.len(), 6);
}

#[tokio::test]
async fn checkpoint_announcements_never_land_in_the_stream() {
    // Arrange
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&setup.store, 1, 3, 3, 1).await;
    setup.publish_up_to(head).await;

    // Act: what the projector announces after each batch, on the same server.
    let client = nats.client().await;
    client
        .publish("pasar.checkpoints.catalog", "1-1".into())
        .await
        .unwrap();
    client.flush().await.unwrap();
    let next = append_widgets(&setup.store, 1, 3, 3, 1).await;

    // Assert
    assert_eq!(setup.publish_up_to(next).await, 3);
    assert_eq!(setup.messages().await.len(), 6);
}

#[tokio::test]
async fn custom_stream_and_prefix_are_used_and_new_categories_are_added_to_the_stream() {
    // Arrange
    let nats = NatsServer::start().await;
    let config = PublisherConfig {
        stream: "TEST_EVENTS".into(),
        subject_prefix: "test.one".into(),
        ..PublisherConfig::default()
    };
    let setup = Setup::new(&nats, config).await;
    let head = append_widgets(&setup.store, 1, 2, 2, 1).await;
    setup.publish_up_to(head).await;
    let customer = Uuid::new_v4();
    let events = registered(customer)
        .iter()
        .map(|e| e.to_new_event(Uuid::new_v4(), Metadata::default()))
        .collect();
    let appended = setup
        .store
        .append(
            &streams::customer(customer),
            ExpectedVersion::NoStream,
            events,
        )
        .await
        .unwrap();

    // Act
    setup.publish_up_to(appended.position).await;

    // Assert
    let subjects: Vec<String> = setup
        .messages()
        .await
        .iter()
        .map(|m| m.subject.to_string())
        .collect();
    assert_eq!(
        subjects,
        [
            "test.one.widget.WidgetTicked",
            "test.one.widget.WidgetTicked",
            "test.one.customer.CustomerRegistered",
            "test.one.customer.SessionStarted",
        ]
    );
    let mut stream = setup.jetstream.get_stream("TEST_EVENTS").await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(
        info.config.subjects,
        ["test.one.widget.*", "test.one.customer.*"]
    );
    assert!(info.config.duplicate_window >= Duration::from_secs(600));
}

#[tokio::test]
async fn a_backlog_of_10000_events_is_published_in_log_order() {
    // Arrange
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let head = append_widgets(&setup.store, 100, 10_000, 10, 4).await;
    wait_readable(&setup.store, head).await;

    // Act
    let started = Instant::now();
    let published = setup.publisher.catch_up().await.unwrap();
    let elapsed = started.elapsed();

    // Assert
    assert_eq!(published.events, 10_000);
    assert_eq!(published.position, head);
    eprintln!(
        "published 10000 events in {elapsed:?}: {:.0} events/s",
        10_000.0 / elapsed.as_secs_f64()
    );
    let lag = setup.publisher.lag().await.unwrap();
    assert_eq!((lag.events, lag.seconds), (0, 0.0));
    let stream = setup.jetstream.get_stream("PASAR_EVENTS").await.unwrap();
    assert_eq!(stream.cached_info().state.messages, 10_000);
}

#[tokio::test]
async fn only_one_of_two_running_publishers_is_active() {
    // Arrange: two publishers of one database, as in two projector processes.
    let nats = NatsServer::start().await;
    let setup = Setup::new(&nats, PublisherConfig::default()).await;
    let second_metrics = Arc::new(Metrics::default());
    let pool = pasar_events::postgres::pool(&setup.db.url, 2).unwrap();
    let second = Publisher::new(
        Arc::new(setup.store.clone()),
        pool,
        Publisher::jetstream(nats.client().await),
        PublisherConfig::default(),
        Arc::clone(&second_metrics.publisher),
    )
    .await
    .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let url = setup.db.url.clone();
    let publishers = Arc::new((setup, second));
    let runs: Vec<_> = [0, 1]
        .into_iter()
        .map(|i| {
            let (publishers, url, stop) = (Arc::clone(&publishers), url.clone(), stop.clone());
            tokio::spawn(async move {
                let publisher = if i == 0 {
                    &publishers.0.publisher
                } else {
                    &publishers.1
                };
                publisher.run(&url, &stop).await;
            })
        })
        .collect();

    // Act
    let head = append_widgets(&publishers.0.store, 10, 1_000, 10, 2).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while publishers.0.publisher.checkpoint().await.unwrap() < head {
        assert!(Instant::now() < deadline, "never published everything");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    for run in runs {
        run.await.unwrap();
    }

    // Assert: one of them published all of it, the other nothing.
    let counts = [
        publishers.0.metrics.publisher.published(),
        second_metrics.publisher.published(),
    ];
    assert!(counts == [1_000, 0] || counts == [0, 1_000], "{counts:?}");
    assert_eq!(publishers.0.messages().await.len(), 1_000);
}
