//! A command's cost must not grow with its stream's history: stock receipts on a product whose
//! stock stream already holds 100,000 events, beside receipts on a fresh product, through the
//! command API of the real binaries.

use std::time::{Duration, Instant};

use chrono::Utc;
use pasar_events::postgres::PgEventStore;
use pasar_events::types::{DomainEvent as _, StockEvent, streams};
use pasar_events::{EventStore, ExpectedVersion, Metadata};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::latency::{Percentiles, percentiles};
use crate::stack::Stack;

pub struct History {
    pub past_events: usize,
    pub fresh: Percentiles,
    pub old: Percentiles,
}

/// Lists two products, gives one `past_events` events of realistic history (units received,
/// reserved for an order, committed when paid), then times `receipts` sequential stock
/// receipts on each.
pub async fn run(stack: &Stack, past_events: usize, receipts: usize) -> anyhow::Result<History> {
    let (_, seller) = stack.register("seller").await;
    let fresh = list(stack, &seller).await;
    let old = list(stack, &seller).await;
    write_history(&stack.database_url, old, past_events).await?;
    // One receipt each first, so both measurements start warm.
    receipt(stack, &seller, fresh).await;
    receipt(stack, &seller, old).await;
    let mut times = (Vec::new(), Vec::new());
    for _ in 0..receipts {
        times.0.push(receipt(stack, &seller, fresh).await);
        times.1.push(receipt(stack, &seller, old).await);
    }
    Ok(History {
        past_events,
        fresh: percentiles(times.0),
        old: percentiles(times.1),
    })
}

async fn list(stack: &Stack, seller: &str) -> Uuid {
    let sku = format!("HIST-{}", &Uuid::new_v4().simple().to_string()[..10]);
    let body = json!({"sku": sku, "name": "Beras 5 kg", "price": 75_000, "weight_grams": 5000});
    let (status, body, _) = stack
        .command(Method::POST, "/v1/products", Some(seller), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "list: {body}");
    body["id"].as_str().expect("an id").parse().expect("a uuid")
}

async fn receipt(stack: &Stack, seller: &str, product: Uuid) -> Duration {
    let started = Instant::now();
    let path = format!("/v1/inventory/{product}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &path,
            Some(seller),
            Some(json!({"quantity": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "receipt: {body}");
    started.elapsed()
}

/// Appends `n` stock events in thousands: a unit received, reserved for an order, committed.
async fn write_history(database_url: &str, product: Uuid, n: usize) -> anyhow::Result<()> {
    let store = PgEventStore::connect(database_url).await?;
    let stream = streams::stock(product);
    let expires_at = Utc::now() + chrono::Duration::hours(1);
    let mut batch = Vec::new();
    for i in 0..n {
        let order_id = Uuid::from_u128(i as u128 / 3 + 1);
        let event = match i % 3 {
            0 => StockEvent::StockReceived {
                quantity: 1,
                on_hand: 1,
                available: 1,
            },
            1 => StockEvent::StockReserved {
                order_id,
                quantity: 1,
                expires_at,
                available: 0,
            },
            _ => StockEvent::ReservationCommitted {
                order_id,
                quantity: 1,
                on_hand: 0,
                available: 0,
            },
        };
        batch.push(event.to_new_event(Uuid::new_v4(), Metadata::default()));
        if batch.len() == 1000 || i + 1 == n {
            store
                .append(&stream, ExpectedVersion::Any, std::mem::take(&mut batch))
                .await?;
        }
    }
    Ok(())
}

pub fn print(h: &History) {
    println!("\n## Stock receipt latency against history (command API, sequential receipts)\n");
    println!("| product | past events | p50 | p99 | p50 ratio to fresh |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| fresh | 0 | {:.1} ms | {:.1} ms | 1.00 |",
        h.fresh.p50_ms, h.fresh.p99_ms
    );
    println!(
        "| with history | {} | {:.1} ms | {:.1} ms | {:.2} |",
        h.past_events,
        h.old.p50_ms,
        h.old.p99_ms,
        h.old.p50_ms / h.fresh.p50_ms
    );
}
