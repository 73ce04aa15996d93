//! What must hold after any amount of chaos, read from the log itself (and JetStream), never
//! from a projection:
//! - for every product, received = on hand + committed, and no event ever recorded an
//!   available quantity below zero or one that disagrees with the reservations before it;
//! - every paid order has each line's reservation committed exactly once, with its quantity;
//! - no reservation outlives its expiry (it is released or committed by then);
//! - every settlement is on paid orders, or its money is being returned;
//! - the JetStream stream holds each event of the log exactly once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use serde_json::Value;
use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::stack::Stack;

/// Figures and violations of one check.
#[derive(Debug, Default)]
pub struct Checks {
    pub products: usize,
    pub paid_orders: usize,
    pub reservations: usize,
    pub settlements: usize,
    pub log_events: usize,
    pub jetstream_messages: Option<usize>,
    pub violations: Vec<String>,
}

/// One stored event, as the checks need it.
struct Row {
    event_id: Uuid,
    stream: String,
    event_type: String,
    data: Value,
}

/// Waits until every reservation of the run is past its expiry (plus a few sweeps), then checks;
/// checks again while violations remain, up to a bound, because reactors and the publisher
/// catch up asynchronously after the last kill.
pub async fn settle(stack: &Stack, stream: &str, timeout: Duration) -> anyhow::Result<Checks> {
    tokio::time::sleep(timeout + Duration::from_secs(3)).await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let checks = check(&stack.database_url, stream).await?;
        if checks.violations.is_empty() || Instant::now() > deadline {
            return Ok(checks);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Runs every check once.
pub async fn check(database_url: &str, stream: &str) -> anyhow::Result<Checks> {
    let rows = read_log(database_url).await?;
    let mut checks = Checks {
        log_events: rows.len(),
        ..Checks::default()
    };
    let by_stream = group(&rows);
    stock(&by_stream, &mut checks);
    paid_orders(&by_stream, &mut checks);
    settlements(&by_stream, &mut checks);
    jetstream(stream, &rows, &mut checks).await;
    Ok(checks)
}

async fn read_log(database_url: &str) -> anyhow::Result<Vec<Row>> {
    let (client, connection) = tokio_postgres::connect(database_url, NoTls)
        .await
        .context("connecting to the log")?;
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT event_id, stream_id, event_type, data FROM es_events ORDER BY stream_id, stream_version",
            &[],
        )
        .await
        .context("reading the log")?;
    Ok(rows
        .iter()
        .map(|r| Row {
            event_id: r.get(0),
            stream: r.get(1),
            event_type: r.get(2),
            data: r.get(3),
        })
        .collect())
}

fn group(rows: &[Row]) -> BTreeMap<&str, Vec<&Row>> {
    let mut by_stream: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in rows {
        by_stream.entry(row.stream.as_str()).or_default().push(row);
    }
    by_stream
}

fn int(value: &Value, field: &str) -> i64 {
    value[field].as_i64().unwrap_or_default()
}

fn uuid(value: &Value, field: &str) -> Option<Uuid> {
    value[field].as_str().and_then(|s| s.parse().ok())
}

/// Stock: the books balance at every event, and every reservation is closed by its expiry.
fn stock(by_stream: &BTreeMap<&str, Vec<&Row>>, checks: &mut Checks) {
    let now = Utc::now();
    for (stream, events) in by_stream.iter().filter(|(s, _)| s.starts_with("stock-")) {
        checks.products += 1;
        let (mut received, mut committed, mut on_hand) = (0, 0, 0);
        let mut open: HashMap<Uuid, (i64, Option<DateTime<Utc>>)> = HashMap::new();
        for event in events {
            let d = &event.data;
            match event.event_type.as_str() {
                "StockReceived" => received += int(d, "quantity"),
                "StockAdjusted" => received += int(d, "delta"),
                // A paid order cancelled before shipping gives its committed units back.
                "StockReturned" => committed -= int(d, "quantity"),
                "StockReserved" => {
                    checks.reservations += 1;
                    let expires = d["expires_at"].as_str().and_then(|s| s.parse().ok());
                    if let Some(order) = uuid(d, "order_id") {
                        open.insert(order, (int(d, "quantity"), expires));
                    }
                }
                "ReservationReleased" => {
                    uuid(d, "order_id").map(|o| open.remove(&o));
                }
                "ReservationCommitted" => {
                    committed += int(d, "quantity");
                    uuid(d, "order_id").map(|o| open.remove(&o));
                }
                _ => {}
            }
            if d.get("on_hand").is_some() {
                on_hand = int(d, "on_hand");
            }
            let reserved: i64 = open.values().map(|(q, _)| q).sum();
            if let Some(available) = d["available"].as_i64()
                && (available < 0 || available != on_hand - reserved)
            {
                checks.violations.push(format!(
                    "{stream}: {} recorded available {available}, the books say {}",
                    event.event_type,
                    on_hand - reserved
                ));
            }
        }
        if received != on_hand + committed {
            checks.violations.push(format!(
                "{stream}: received {received} ≠ on hand {on_hand} + committed {committed}"
            ));
        }
        for (order, (quantity, expires)) in &open {
            if expires.is_none_or(|e| e < now) {
                checks.violations.push(format!(
                    "{stream}: reservation of {quantity} for order {order} outlived its expiry {expires:?}"
                ));
            }
        }
    }
}

/// Every paid order: each line committed exactly once, with the line's quantity.
fn paid_orders(by_stream: &BTreeMap<&str, Vec<&Row>>, checks: &mut Checks) {
    let commits = commits_by_order(by_stream);
    for (stream, events) in by_stream.iter().filter(|(s, _)| s.starts_with("order-")) {
        if !events.iter().any(|e| e.event_type == "OrderPaid") {
            continue;
        }
        checks.paid_orders += 1;
        let Some(placed) = events.iter().find(|e| e.event_type == "OrderPlaced") else {
            checks
                .violations
                .push(format!("{stream}: paid but never placed"));
            continue;
        };
        let order = uuid(&placed.data, "order_id");
        for line in placed.data["lines"].as_array().into_iter().flatten() {
            let product = uuid(line, "product_id");
            let found = order
                .zip(product)
                .and_then(|key| commits.get(&key))
                .cloned()
                .unwrap_or_default();
            if found != [int(line, "quantity")] {
                checks.violations.push(format!(
                    "{stream}: line {product:?} of {} units is paid; commits found: {found:?}",
                    int(line, "quantity")
                ));
            }
        }
    }
}

/// (order id, product id) → quantities committed.
fn commits_by_order(by_stream: &BTreeMap<&str, Vec<&Row>>) -> HashMap<(Uuid, Uuid), Vec<i64>> {
    let mut commits: HashMap<(Uuid, Uuid), Vec<i64>> = HashMap::new();
    for (stream, events) in by_stream.iter().filter(|(s, _)| s.starts_with("stock-")) {
        let Some(product) = stream.strip_prefix("stock-").and_then(|s| s.parse().ok()) else {
            continue;
        };
        for event in events
            .iter()
            .filter(|e| e.event_type == "ReservationCommitted")
        {
            if let Some(order) = uuid(&event.data, "order_id") {
                commits
                    .entry((order, product))
                    .or_default()
                    .push(int(&event.data, "quantity"));
            }
        }
    }
    commits
}

/// Every settled payment: its orders paid, or a refund under way on the payment.
fn settlements(by_stream: &BTreeMap<&str, Vec<&Row>>, checks: &mut Checks) {
    let paid: HashSet<Uuid> = by_stream
        .iter()
        .filter(|(s, events)| {
            s.starts_with("order-") && events.iter().any(|e| e.event_type == "OrderPaid")
        })
        .filter_map(|(s, _)| s.strip_prefix("order-").and_then(|id| id.parse().ok()))
        .collect();
    for (stream, events) in by_stream.iter().filter(|(s, _)| s.starts_with("payment-")) {
        if !events.iter().any(|e| e.event_type == "PaymentSettled") {
            continue;
        }
        checks.settlements += 1;
        if events.iter().any(|e| e.event_type.contains("Refund")) {
            continue;
        }
        let orders: Vec<Uuid> = events
            .iter()
            .find(|e| e.event_type == "PaymentInitiated")
            .and_then(|e| e.data["order_ids"].as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
            .collect();
        let unpaid: Vec<&Uuid> = orders.iter().filter(|o| !paid.contains(o)).collect();
        if orders.is_empty() || !unpaid.is_empty() {
            checks.violations.push(format!(
                "{stream}: settled, but orders {unpaid:?} of {orders:?} are not paid and nothing is refunded"
            ));
        }
    }
}

/// The JetStream stream holds each event of the log exactly once (by `Nats-Msg-Id`).
async fn jetstream(stream: &str, rows: &[Row], checks: &mut Checks) {
    match published_ids(stream, rows.len()).await {
        Ok(ids) => {
            checks.jetstream_messages = Some(ids.len());
            let unique: HashSet<&String> = ids.iter().collect();
            if unique.len() != ids.len() {
                checks.violations.push(format!(
                    "JetStream {stream}: {} duplicate messages",
                    ids.len() - unique.len()
                ));
            }
            let missing = rows
                .iter()
                .filter(|r| !unique.contains(&r.event_id.to_string()))
                .count();
            if missing > 0 {
                checks.violations.push(format!(
                    "JetStream {stream}: {missing} events of the log were never published"
                ));
            }
        }
        Err(e) => checks
            .violations
            .push(format!("JetStream {stream}: could not read it: {e:#}")),
    }
}

/// Every message's `Nats-Msg-Id`, read with an ordered consumer.
async fn published_ids(stream: &str, expected: usize) -> anyhow::Result<Vec<String>> {
    let url = std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let client = async_nats::connect(url)
        .await
        .context("connecting to NATS")?;
    let jetstream = async_nats::jetstream::new(client);
    let stream = jetstream.get_stream(stream).await.context("the stream")?;
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .context("an ordered consumer")?;
    let mut messages = consumer.messages().await.context("reading messages")?;
    let mut ids = Vec::new();
    let total = stream.cached_info().state.messages as usize;
    while ids.len() < total.max(expected) {
        let next = tokio::time::timeout(Duration::from_secs(5), messages.next()).await;
        let Ok(Some(message)) = next else { break };
        let message = message.context("a message")?;
        let id = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default();
        ids.push(id);
    }
    Ok(ids)
}
