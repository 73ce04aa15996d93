//! Group commit on PostgreSQL: concurrent appends share transactions, and each append keeps
//! its own contract (optimistic concurrency per stream, idempotent event ids, each stream
//! delivered in order by a tailing reader).

use std::collections::HashMap;
use std::sync::Arc;

use pasar_events::postgres::PgEventStore;
use pasar_events::store::StoreError;
use pasar_events::{EventStore, ExpectedVersion, Position, StreamAppend};
use tokio_postgres::NoTls;

mod common;
use common::{database_url, event, read_all_at_least};

const OWN_STREAMS: usize = 48;
const APPENDS_EACH: i64 = 20;
const SHARED_STREAMS: usize = 4;
const SHARED_WRITERS: usize = 16;

/// Appends `APPENDS_EACH` events to `stream` one at a time, each expecting the version before
/// it (a conflict is decided again from the stream's current version, as a command would be).
async fn write_stream(store: Arc<PgEventStore>, stream: String, contended: bool) -> i64 {
    let mut known = 0;
    let mut appended = 0;
    while appended < APPENDS_EACH {
        let expected = if known == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(known)
        };
        match store.append(&stream, expected, vec![event(appended)]).await {
            Ok(result) => {
                known = result.stream_version;
                appended += 1;
            }
            Err(StoreError::Conflict { actual, .. }) if contended => known = actual,
            Err(e) => panic!("append to {stream}: {e}"),
        }
    }
    appended
}

async fn sql(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_share_commits_and_every_stream_stays_in_order() {
    // Arrange
    let url = database_url();
    let store = Arc::new(
        PgEventStore::connect_with_pool_size(&url, 64)
            .await
            .unwrap(),
    );
    let mut writers = Vec::new();
    for i in 0..OWN_STREAMS {
        writers.push(tokio::spawn(write_stream(
            store.clone(),
            format!("own-{i}"),
            false,
        )));
    }
    for i in 0..SHARED_WRITERS {
        let stream = format!("shared-{}", i % SHARED_STREAMS);
        writers.push(tokio::spawn(write_stream(store.clone(), stream, true)));
    }

    // Act
    let mut total = 0;
    for writer in writers {
        total += writer.await.unwrap();
    }

    // Assert: everything is there once, each stream gap-free and read in version order.
    let expected = (OWN_STREAMS + SHARED_WRITERS) as i64 * APPENDS_EACH;
    assert_eq!(total, expected);
    let log = read_all_at_least(store.as_ref(), Position::START, expected as usize).await;
    assert_eq!(
        log.len() as i64,
        expected,
        "every append once in the global log"
    );
    let mut last: HashMap<&str, i64> = HashMap::new();
    for e in &log {
        let previous = last
            .insert(e.stream.as_str(), e.stream_version)
            .unwrap_or(0);
        assert_eq!(
            e.stream_version,
            previous + 1,
            "{} delivered out of order: version {} after {previous}",
            e.stream,
            e.stream_version
        );
    }
    // And they did share transactions (one commit for several streams' appends).
    let shared: i64 = sql(&url)
        .await
        .query_one(
            "SELECT count(*) FROM (SELECT transaction_id FROM es_events GROUP BY transaction_id
             HAVING count(DISTINCT stream_id) > 1) t",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(shared > 0, "no transaction held appends of several streams");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_append_in_a_group_answers_its_original_and_the_others_still_commit() {
    // Arrange: a stored batch, to be sent again (the same ids) among fresh appends.
    let url = database_url();
    let store = Arc::new(
        PgEventStore::connect_with_pool_size(&url, 64)
            .await
            .unwrap(),
    );
    let batch = vec![event(1), event(2)];
    let original = store
        .append("retried", ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();

    // Act: 32 fresh appends and the retry at the same time, several times over.
    for round in 0..5 {
        let mut fresh = Vec::new();
        for i in 0..32 {
            let store = store.clone();
            let stream = format!("fresh-{round}-{i}");
            fresh.push(tokio::spawn(async move {
                store
                    .append(&stream, ExpectedVersion::NoStream, vec![event(i)])
                    .await
            }));
        }
        let retry = store
            .append("retried", ExpectedVersion::Any, batch.clone())
            .await
            .unwrap();

        // Assert
        assert_eq!(retry, original, "the retry answers the original append");
        for handle in fresh {
            let appended = handle.await.unwrap().expect("a fresh append commits");
            assert_eq!(appended.stream_version, 1);
        }
    }
    let retried = store.read_stream("retried", 1).await.unwrap();
    assert_eq!(retried.len(), 2, "the retried batch is stored once");
    let fresh = read_all_at_least(store.as_ref(), Position::START, 2 + 5 * 32).await;
    assert_eq!(fresh.len(), 2 + 5 * 32);
}

#[tokio::test]
async fn a_stream_lock_must_come_before_the_first_write() {
    // Arrange: a transaction that has written already.
    let url = database_url();
    let _store = PgEventStore::connect(&url).await.unwrap();
    let client = sql(&url).await;
    client
        .batch_execute("BEGIN; CREATE TEMP TABLE t (x int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();

    // Act
    let locked = client
        .execute("SELECT es_lock_streams(ARRAY['a', 'b'])", &[])
        .await;

    // Assert: refused (its transaction id may be older than another writer's of those streams).
    let error = locked.expect_err("locking after a write is refused");
    assert!(
        error.to_string().contains("before the first write")
            || format!("{error:?}").contains("before the first write"),
        "{error:?}"
    );
}

/// Calls `es_append_group` with one event per member (`{}` as data and metadata), each member
/// a unit of its own; answers each member's (outcome, version), in member order.
async fn append_group(
    client: &tokio_postgres::Client,
    streams: &[&str],
    expected: &[i64],
) -> Result<Vec<(String, Option<i64>)>, tokio_postgres::Error> {
    let units: Vec<i32> = (0..).take(streams.len()).collect();
    append_units(client, streams, expected, &units).await
}

/// [`append_group`] with the members' units given: members of one unit land together or not
/// at all.
async fn append_units(
    client: &tokio_postgres::Client,
    streams: &[&str],
    expected: &[i64],
    units: &[i32],
) -> Result<Vec<(String, Option<i64>)>, tokio_postgres::Error> {
    let n = streams.len();
    let ids: Vec<uuid::Uuid> = (0..n).map(|_| uuid::Uuid::new_v4()).collect();
    let rows = client
        .query(
            "SELECT member, outcome, last_version
             FROM es_append_group($1, $2, $3, $4, $5, $6, $7, $8, $9) ORDER BY member",
            &[
                &streams,
                &expected,
                &vec![1_i32; n],
                &units,
                &ids,
                &vec!["Tested"; n],
                &vec![1_i32; n],
                &vec![serde_json::json!({}); n],
                &vec![serde_json::json!({}); n],
            ],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(1), r.get(2))).collect())
}

/// How many events `stream` holds, read over `client`.
async fn count(client: &tokio_postgres::Client, stream: &str) -> i64 {
    let row = client
        .query_one(
            "SELECT count(*) FROM es_events WHERE stream_id = $1",
            &[&stream],
        )
        .await
        .unwrap();
    row.get(0)
}

#[tokio::test]
async fn a_group_refuses_a_whole_unit_when_one_of_its_appends_fails() {
    // Arrange: stream u-a at version 1.
    let url = database_url();
    let _store = PgEventStore::connect(&url).await.unwrap();
    let client = sql(&url).await;
    append_group(&client, &["u-a"], &[0]).await.unwrap();

    // Act: one unit of u-a (expects no stream: wrong) and u-b (new: right); u-c a unit alone.
    let answers = append_units(&client, &["u-a", "u-b", "u-c"], &[0, 0, 0], &[7, 7, 8])
        .await
        .unwrap();

    // Assert: the unit is refused whole, the other unit commits.
    let refused = ("refused".to_owned(), None);
    assert_eq!(
        answers,
        vec![refused.clone(), refused, ("appended".to_owned(), Some(1))]
    );
    let counts = (
        count(&client, "u-a").await,
        count(&client, "u-b").await,
        count(&client, "u-c").await,
    );
    assert_eq!(counts, (1, 0, 1));
}

#[tokio::test]
async fn a_group_refuses_a_member_whose_expected_version_fails_and_commits_the_others() {
    // Arrange: stream a at version 1, b new.
    let url = database_url();
    let _store = PgEventStore::connect(&url).await.unwrap();
    let client = sql(&url).await;
    let first = append_group(&client, &["g-a"], &[0]).await.unwrap();
    assert_eq!(first, vec![("appended".to_owned(), Some(1))]);

    // Act: a expects no stream (wrong), b expects no stream (right), c expects version 3 (wrong).
    let answers = append_group(&client, &["g-a", "g-b", "g-c"], &[0, 0, 3])
        .await
        .unwrap();

    // Assert
    let refused = ("refused".to_owned(), None);
    assert_eq!(
        answers,
        vec![refused.clone(), ("appended".to_owned(), Some(1)), refused]
    );
    let counts = (
        count(&client, "g-a").await,
        count(&client, "g-b").await,
        count(&client, "g-c").await,
    );
    assert_eq!(counts, (1, 1, 0));
}

#[tokio::test]
async fn a_group_naming_one_stream_twice_fails_whole_and_writes_nothing() {
    // Arrange
    let url = database_url();
    let _store = PgEventStore::connect(&url).await.unwrap();
    let client = sql(&url).await;

    // Act
    let failed = append_group(&client, &["g-x", "g-y", "g-x"], &[-1, -1, -1]).await;

    // Assert: the unique (stream, version) index refuses it; not even g-y was written.
    let error = failed.expect_err("one stream twice in a group fails the statement");
    assert_eq!(
        error.as_db_error().and_then(|e| e.constraint()),
        Some("es_events_stream_version_key"),
        "{error:?}"
    );
    let row = client
        .query_one(
            "SELECT count(*) FROM es_events WHERE stream_id LIKE 'g-%'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
}

/// Starts an append of one event to `stream` in a transaction left open: it holds the
/// stream's lock until the returned client commits.
async fn hold_stream(url: &str, stream: &str) -> tokio_postgres::Client {
    let client = sql(url).await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .query_one(
            "SELECT * FROM es_append($1, -1, $2, ARRAY['Tested'], ARRAY[1], ARRAY['{}'::jsonb], ARRAY['{}'::jsonb])",
            &[&stream, &vec![uuid::Uuid::new_v4()]],
        )
        .await
        .unwrap();
    client
}

/// Waits (at most 10 s) until a session waits for an advisory lock. `client` must not be in
/// a transaction: `pg_stat_activity` stays as first read until its transaction ends.
async fn until_waiting_for_a_lock(client: &tokio_postgres::Client) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'
                   AND datname = current_database()",
                &[],
            )
            .await
            .unwrap();
        if row.get::<_, i64>(0) > 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no append waited for the stream's lock"
        );
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}

/// Appends one event to `stream` with `expected` while another writer, holding the stream's
/// lock, appends the stream's next version: the append reads the stream before that writer
/// commits and waits for its lock.
async fn append_behind_a_writer(
    store: &Arc<PgEventStore>,
    url: &str,
    stream: &'static str,
    expected: ExpectedVersion,
) -> Result<pasar_events::store::AppendResult, StoreError> {
    let writer = hold_stream(url, stream).await;
    let append = tokio::spawn({
        let store = store.clone();
        async move { store.append(stream, expected, vec![event(0)]).await }
    });
    until_waiting_for_a_lock(&sql(url).await).await;
    writer.batch_execute("COMMIT").await.unwrap();
    append.await.unwrap()
}

/// The versions stored in `stream`, in order.
async fn stored_versions(store: &PgEventStore, stream: &str) -> Vec<i64> {
    let events = store.read_stream(stream, 1).await.unwrap();
    events.iter().map(|e| e.stream_version).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_that_waited_for_another_writer_answers_from_the_version_after_it() {
    // Arrange: a stream at version 1.
    let url = database_url();
    let store = Arc::new(PgEventStore::connect(&url).await.unwrap());
    store
        .append("waited", ExpectedVersion::NoStream, vec![event(1)])
        .await
        .unwrap();

    // Act: an append expecting version 1 while another writer appends version 2, then one
    // expecting anything while a writer appends version 3.
    let expecting_one =
        append_behind_a_writer(&store, &url, "waited", ExpectedVersion::Exact(1)).await;
    let expecting_any = append_behind_a_writer(&store, &url, "waited", ExpectedVersion::Any).await;

    // Assert: precise answers from the version each writer left, not a failed statement.
    assert!(
        matches!(expecting_one, Err(StoreError::Conflict { actual: 2, .. })),
        "{expecting_one:?}"
    );
    let appended = expecting_any.expect("an append expecting anything");
    assert_eq!(appended.stream_version, 4);
    assert_eq!(stored_versions(&store, "waited").await, vec![1, 2, 3, 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_hammering_one_stream_with_any_version_all_append_without_gaps() {
    // Arrange: two stores on one database (two command API instances), eight writers each,
    // all appending to one stream without an expected version.
    const WRITERS: usize = 8;
    const APPENDS: usize = 25;
    let url = database_url();
    let stores = [
        Arc::new(PgEventStore::connect(&url).await.unwrap()),
        Arc::new(PgEventStore::connect(&url).await.unwrap()),
    ];

    // Act
    let mut writers = Vec::new();
    for store in &stores {
        for _ in 0..WRITERS {
            let store = store.clone();
            writers.push(tokio::spawn(async move {
                for n in 0..APPENDS {
                    store
                        .append("hot", ExpectedVersion::Any, vec![event(n as i64)])
                        .await
                        .expect("an append expecting anything always lands");
                }
            }));
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }

    // Assert: every append stored once, at versions 1..=N without a gap.
    let versions = stored_versions(&stores[0], "hot").await;
    let total = (2 * WRITERS * APPENDS) as i64;
    assert_eq!(versions, (1..=total).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn appends_made_together_under_load_land_whole_or_not_at_all() {
    // Arrange: claimants racing for four names, each claiming a name and starting an owner
    // stream of its own together, beside plain appends to streams of their own, so that the
    // committers group them.
    const NAMES: usize = 4;
    const CLAIMANTS: usize = 12;
    const PLAIN: usize = 24;
    let url = database_url();
    let store = Arc::new(PgEventStore::connect(&url).await.unwrap());
    let claim = |name: usize, owner: usize| {
        vec![
            StreamAppend {
                stream: format!("claim-{name}"),
                expected: ExpectedVersion::NoStream,
                events: vec![event(owner as i64)],
            },
            StreamAppend {
                stream: format!("owner-{name}-{owner}"),
                expected: ExpectedVersion::NoStream,
                events: vec![event(1), event(2)],
            },
        ]
    };

    // Act
    let mut claimants = Vec::new();
    for owner in 0..CLAIMANTS {
        for name in 0..NAMES {
            let (store, parts) = (store.clone(), claim(name, owner));
            claimants.push(tokio::spawn(async move {
                (name, owner, store.append_together(parts).await)
            }));
        }
    }
    let plain: Vec<_> = (0..PLAIN)
        .map(|i| tokio::spawn(write_stream(store.clone(), format!("plain-{i}"), false)))
        .collect();
    let mut winners = HashMap::new();
    for claimant in claimants {
        let (name, owner, answer) = claimant.await.unwrap();
        match answer {
            Ok(results) => {
                assert_eq!(
                    results.iter().map(|r| r.stream_version).collect::<Vec<_>>(),
                    vec![1, 2]
                );
                assert!(
                    winners.insert(name, owner).is_none(),
                    "two owners of {name}"
                );
            }
            Err(StoreError::Conflict { stream, actual, .. }) => {
                assert_eq!((stream, actual), (format!("claim-{name}"), 1));
            }
            Err(e) => panic!("claimant {owner} of {name}: {e}"),
        }
    }
    for writer in plain {
        assert_eq!(writer.await.unwrap(), APPENDS_EACH);
    }

    // Assert: one owner per name, and only the winners' own streams hold events.
    assert_eq!(winners.len(), NAMES);
    for name in 0..NAMES {
        assert_eq!(
            stored_versions(&store, &format!("claim-{name}")).await,
            vec![1]
        );
        for owner in 0..CLAIMANTS {
            let versions = stored_versions(&store, &format!("owner-{name}-{owner}")).await;
            let expected = if winners[&name] == owner {
                vec![1, 2]
            } else {
                vec![]
            };
            assert_eq!(versions, expected, "owner {owner} of {name}");
        }
    }
}
