//! Wake-ups across processes on PostgreSQL: an append is followed by a NOTIFY that other
//! processes hear, sent on the store's own connection (not one of the pool's), and a lost
//! notifier connection is replaced.

use std::time::Duration;

use futures::StreamExt;
use pasar_events::postgres::PgEventStore;
use pasar_events::{EventStore, ExpectedVersion, Position};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};
use uuid::Uuid;

mod common;
use common::{database_url, event, read_all_at_least};

/// What the store's notifier sends (`events/src/postgres/wakeup.rs`).
const NOTIFY_SQL: &str = "SET LOCAL synchronous_commit = off; NOTIFY es_events";

/// A connection of the test's own that has finished `LISTEN es_events` (so a NOTIFY sent
/// after this returns reaches it), and the channel its notifications arrive on.
async fn listener(url: &str) -> (Client, mpsc::UnboundedReceiver<()>) {
    let (client, mut connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(_) = message {
                let _ = tx.send(());
            }
        }
    });
    client.batch_execute("LISTEN es_events").await.unwrap();
    (client, rx)
}

/// Whether a notification arrives within `bound` (a bound on the wait, not a pause).
async fn heard(notifications: &mut mpsc::UnboundedReceiver<()>, bound: Duration) -> bool {
    matches!(
        tokio::time::timeout(bound, notifications.recv()).await,
        Ok(Some(()))
    )
}

/// The backends of this database whose last statement was the notifier's.
async fn notifier_backends(sql: &Client) -> Vec<i32> {
    sql.query(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
        &[&NOTIFY_SQL],
    )
    .await
    .unwrap()
    .iter()
    .map(|row| row.get(0))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_notify_other_processes_from_a_connection_outside_the_pool_and_survive_its_loss() {
    // Arrange: a store with a pool of one connection, and a listener of the test's own.
    let url = database_url();
    let store = PgEventStore::connect_with_pool_size(&url, 1).await.unwrap();
    let (sql, mut notifications) = listener(&url).await;
    let stream = format!("product-{}", Uuid::new_v4());

    // Act: one append.
    store
        .append(&stream, ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();

    // Assert: it is announced, from a connection that has left the pool: the pool's one
    // connection is another backend, free for appends while a NOTIFY is under way.
    assert!(heard(&mut notifications, Duration::from_secs(10)).await);
    let notifiers = notifier_backends(&sql).await;
    assert_eq!(notifiers.len(), 1, "one notifier connection: {notifiers:?}");
    let pooled: i32 = {
        let client = store.pool().get().await.unwrap();
        client
            .query_one("SELECT pg_backend_pid()", &[])
            .await
            .unwrap()
            .get(0)
    };
    assert_ne!(
        pooled, notifiers[0],
        "the NOTIFY took the pool's only connection"
    );
    assert_eq!(store.pool().status().max_size, 1);

    // Act: the notifier's connection is killed (a restart of PostgreSQL, an administrator).
    let killed: bool = sql
        .query_one("SELECT pg_terminate_backend($1)", &[&notifiers[0]])
        .await
        .unwrap()
        .get(0);
    assert!(killed);
    while heard(&mut notifications, Duration::from_millis(50)).await {}

    // Assert: within a few appends (the first may find the connection dead and lose its
    // wake-up, which only delays readers until their next look) the announcements resume.
    let mut resumed = false;
    let mut appended = 1;
    for n in 2..=6 {
        store
            .append(&stream, ExpectedVersion::Exact(n - 1), vec![event(n)])
            .await
            .unwrap();
        appended = n;
        if heard(&mut notifications, Duration::from_secs(2)).await {
            resumed = true;
            break;
        }
    }
    assert!(
        resumed,
        "no wake-up after the notifier's connection was lost"
    );
    let replaced = notifier_backends(&sql).await;
    assert_eq!(replaced.len(), 1);
    assert_ne!(replaced[0], notifiers[0]);
    let log = read_all_at_least(&store, Position::START, appended as usize).await;
    assert_eq!(
        log.len(),
        appended as usize,
        "every append is in the log once"
    );
}
