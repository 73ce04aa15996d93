//! A flash sale: `buyers` buyers, each with one unit of one product in the cart, check out at
//! the same moment against `units` units. Counts what each buyer was told and how long it took.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pasar_events::Position;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

use super::latency::{Percentiles, percentiles};
use crate::stack::Stack;

pub struct Flash {
    pub buyers: usize,
    pub units: i64,
    pub orders: usize,
    pub insufficient: usize,
    pub concurrent_update: usize,
    pub other_refusals: usize,
    pub errors: usize,
    pub latency: Percentiles,
    /// Units the query API shows as available afterwards (once caught up).
    pub left: Option<i64>,
}

/// Runs one flash sale on a fresh product.
pub async fn run(stack: Arc<Stack>, buyers: usize, units: i64) -> anyhow::Result<Flash> {
    let (_, seller) = stack.register("seller").await;
    let sku = format!("FLASH-{}", &Uuid::new_v4().simple().to_string()[..10]);
    let body = json!({"sku": sku, "name": "HP Samsung A15 128GB", "price": 1_999_000, "weight_grams": 400});
    let (status, body, _) = stack
        .command(Method::POST, "/v1/products", Some(&seller), Some(body))
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "list: {status} {body}");
    let product: Uuid = body["id"].as_str().unwrap_or_default().parse()?;
    let path = format!("/v1/inventory/{product}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &path,
            Some(&seller),
            Some(json!({"quantity": units})),
        )
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "receive: {status} {body}");

    let tokens = carts(&stack, buyers, product).await?;
    // On stderr, so a profiler can be started for the sale alone.
    eprintln!("flash: {buyers} buyers with a unit in their carts; checking out");
    let barrier = Arc::new(Barrier::new(buyers));
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (stack, barrier) = (Arc::clone(&stack), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                let started = Instant::now();
                let key = Uuid::new_v4().to_string();
                let body = json!({"shipping_address": {"recipient": "Budi", "phone": "08123456789", "address": "Jl. Sudirman 12", "city": "Jakarta", "postal_code": "12190"}});
                let url = format!("{}/v1/checkout", stack.command_url);
                let (status, body, _) = stack
                    .send(Method::POST, url, Some(&token), Some(body), &[("idempotency-key", &key)])
                    .await;
                let title = body["title"].as_str().unwrap_or_default().to_owned();
                let token = body["consistency_token"].as_str().and_then(|t| t.parse().ok());
                (status, title, token, started.elapsed())
            })
        })
        .collect();
    let mut flash = Flash {
        buyers,
        units,
        orders: 0,
        insufficient: 0,
        concurrent_update: 0,
        other_refusals: 0,
        errors: 0,
        latency: percentiles(Vec::new()),
        left: None,
    };
    let mut times = Vec::new();
    let mut newest: Option<Position> = None;
    for task in tasks {
        let (status, title, token, took) = task.await?;
        times.push(took);
        newest = newest.max(token);
        match (status, title.as_str()) {
            (StatusCode::CREATED, _) => flash.orders += 1,
            (_, "Insufficient stock") => flash.insufficient += 1,
            (_, "Concurrent update") => flash.concurrent_update += 1,
            (s, _) if s.is_client_error() => flash.other_refusals += 1,
            _ => flash.errors += 1,
        }
    }
    eprintln!("flash: answers per 100 ms: {:?}", per_tenth_second(&times));
    flash.latency = percentiles(times);
    flash.left = available(&stack, product, newest).await;
    eprintln!("flash: {buyers} buyers answered and the query API caught up");
    Ok(flash)
}

/// How many answers came in each 100 ms after the start (on stderr: a stall shows as a gap).
fn per_tenth_second(times: &[Duration]) -> Vec<usize> {
    let mut counts = Vec::new();
    for took in times {
        let slot = usize::try_from(took.as_millis() / 100).unwrap_or(usize::MAX);
        if counts.len() <= slot {
            counts.resize(slot + 1, 0);
        }
        counts[slot] += 1;
    }
    counts
}

/// Registers `n` buyers, each with one unit of `product` in the cart.
async fn carts(stack: &Arc<Stack>, n: usize, product: Uuid) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let batch = chunk.iter().map(|_| {
            let stack = Arc::clone(stack);
            async move {
                let (_, token) = stack.register("buyer").await;
                let item = json!({"product_id": product, "quantity": 1});
                let (status, body, _) = stack
                    .command(Method::POST, "/v1/cart/items", Some(&token), Some(item))
                    .await;
                anyhow::ensure!(status == StatusCode::OK, "cart: {status} {body}");
                Ok(token)
            }
        });
        for token in futures::future::join_all(batch).await {
            tokens.push(token?);
        }
    }
    Ok(tokens)
}

/// The product's available units once the query API has caught up with the newest order
/// (its consistency token; bounded wait).
async fn available(stack: &Stack, product: Uuid, newest: Option<Position>) -> Option<i64> {
    let token = newest.map(|p| p.to_string());
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let (status, body) = stack
            .query(&format!("/v1/products/{product}"), None, token.as_deref())
            .await;
        if status == StatusCode::OK {
            return body["available"].as_i64();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

pub fn print(runs: &[Flash]) {
    println!("\n## Flash sale: every buyer checks out one unit at the same moment\n");
    println!(
        "| buyers | units | orders | insufficient stock | concurrent update | other 4xx | errors | p50 | p99 | units left |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for f in runs {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.0} ms | {:.0} ms | {} |",
            f.buyers,
            f.units,
            f.orders,
            f.insufficient,
            f.concurrent_update,
            f.other_refusals,
            f.errors,
            f.latency.p50_ms,
            f.latency.p99_ms,
            f.left.map_or_else(|| "?".into(), |l| l.to_string())
        );
    }
}
