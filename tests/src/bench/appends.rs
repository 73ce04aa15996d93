//! Event appends per second with N concurrent writers on distinct streams, beside raw
//! single-row INSERTs of the same rows into a bare table with the same indexes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pasar_events::postgres::PgEventStore;
use pasar_events::{EventStore, ExpectedVersion, Metadata, NewEvent};
use serde_json::json;
use uuid::Uuid;

const RAW_TABLE: &str = "
    CREATE TABLE bench_raw (
        global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_id text NOT NULL, stream_version bigint NOT NULL, event_id uuid NOT NULL UNIQUE,
        event_type text NOT NULL, schema_version int NOT NULL, data jsonb NOT NULL, metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(), UNIQUE (stream_id, stream_version));
    CREATE INDEX ON bench_raw (transaction_id, global_position);";

pub struct Row {
    pub writers: usize,
    pub appends_per_sec: f64,
    pub raw_per_sec: f64,
}

fn event() -> NewEvent {
    NewEvent {
        event_id: Uuid::new_v4(),
        event_type: "CartItemAdded".into(),
        schema_version: 1,
        data: json!({ "product_id": Uuid::new_v4(), "quantity": 1, "line_quantity": 1 }),
        metadata: Metadata {
            correlation_id: Some(Uuid::new_v4()),
            ..Metadata::default()
        },
    }
}

/// Runs `work(writer, n)` on `writers` tasks for `duration`; returns completed operations per second.
async fn measure<F, Fut>(writers: usize, duration: Duration, work: F) -> f64
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let work = Arc::new(work);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (work, done, stop) = (work.clone(), done.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    work(w, n).await;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

pub async fn run(writer_counts: &[usize], duration: Duration) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for &writers in writer_counts {
        let url = super::scratch_database("pasar_bench_append");
        let store = Arc::new(PgEventStore::connect_with_pool_size(&url, writers).await?);
        let run_id = Uuid::new_v4().simple().to_string();
        let appender = store.clone();
        let appends_per_sec = measure(writers, duration, move |w, n| {
            let store = appender.clone();
            let stream = format!("cart-{run_id}-{w}");
            async move {
                let expected = if n == 1 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(n as i64 - 1)
                };
                store
                    .append(&stream, expected, vec![event()])
                    .await
                    .expect("append");
            }
        })
        .await;

        let pool = store.pool().clone();
        pool.get().await?.batch_execute(RAW_TABLE).await?;
        let raw_per_sec = measure(writers, duration, move |w, n| {
            let pool = pool.clone();
            async move {
                let e = event();
                let metadata = serde_json::to_value(&e.metadata).expect("metadata");
                let client = pool.get().await.expect("connection");
                // Prepared once per connection, like the store's own statements.
                let insert = client
                    .prepare_cached(
                        "INSERT INTO bench_raw (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .await
                    .expect("prepare");
                let stream = format!("cart-raw-{w}");
                client
                    .execute(&insert, &[&stream, &(n as i64), &e.event_id, &e.event_type, &e.schema_version, &e.data, &metadata])
                    .await
                    .expect("insert");
            }
        })
        .await;
        drop(store);
        super::drop_database(&url).await;
        rows.push(Row {
            writers,
            appends_per_sec,
            raw_per_sec,
        });
    }
    Ok(rows)
}

pub fn print(rows: &[Row]) {
    println!("\n## Event appends (one event per append, distinct streams)\n");
    println!("| writers | appends/s | raw INSERTs/s | ratio |");
    println!("|---:|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.0}% |",
            r.writers,
            r.appends_per_sec,
            r.raw_per_sec,
            100.0 * r.appends_per_sec / r.raw_per_sec
        );
    }
}
