//! Command → visible in the query API, at a steady command rate, and query API throughput for
//! product detail. Both against the real release binaries started by [`Stack`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::stack::Stack;

pub struct Visibility {
    pub rate: u32,
    pub sent: usize,
    pub failed: usize,
    /// From sending the command to the query API answering with the change visible.
    pub end_to_end: Percentiles,
    /// From the command's answer to the query API answering with the change visible.
    pub after_answer: Percentiles,
}

#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

pub(crate) fn percentiles(mut samples: Vec<Duration>) -> Percentiles {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Percentiles {
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(at(1.0)),
    }
}

/// Lists `n` products (one seller) and returns their ids with the seller's token.
async fn products(stack: &Stack, n: usize) -> (Vec<Uuid>, String) {
    let (_, seller) = stack.register("seller").await;
    let mut ids = Vec::new();
    for i in 0..n {
        let body = json!({ "sku": format!("B-{i}-{}", &Uuid::new_v4().simple().to_string()[..6]), "name": format!("Produk {i}"), "price": 10_000 + i as i64, "weight_grams": 100 });
        let (status, body, _) = stack
            .command(Method::POST, "/v1/products", Some(&seller), Some(body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["id"].as_str().unwrap().parse().unwrap());
    }
    (ids, seller)
}

/// Sends stock receipts at `rate` per second for `duration` (open loop: one every 1/rate s,
/// whatever the latency), each followed by a product read carrying its consistency token.
pub async fn visibility(stack: Arc<Stack>, rate: u32, duration: Duration) -> Visibility {
    let (ids, seller) = products(&stack, 200).await;
    let (ids, seller) = (Arc::new(ids), Arc::new(seller));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut n = 0usize;
    while started.elapsed() < duration {
        ticker.tick().await;
        let (stack, ids, seller) = (stack.clone(), ids.clone(), seller.clone());
        let product = ids[n % ids.len()];
        n += 1;
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let path = format!("/v1/inventory/{product}/receipts");
            let (status, _, token) = stack
                .command(
                    Method::POST,
                    &path,
                    Some(&seller),
                    Some(json!({ "quantity": 1 })),
                )
                .await;
            if status != StatusCode::CREATED {
                return None;
            }
            let answered = Instant::now();
            let (status, _) = stack
                .query(&format!("/v1/products/{product}"), None, token.as_deref())
                .await;
            (status == StatusCode::OK).then(|| (sent.elapsed(), answered.elapsed()))
        }));
    }
    let results: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.ok().flatten())
        .collect();
    let ok: Vec<_> = results.iter().flatten().copied().collect();
    Visibility {
        rate,
        sent: results.len(),
        failed: results.len() - ok.len(),
        end_to_end: percentiles(ok.iter().map(|(e, _)| *e).collect()),
        after_answer: percentiles(ok.iter().map(|(_, a)| *a).collect()),
    }
}

pub struct Throughput {
    pub connections: usize,
    pub requests_per_sec: f64,
    pub errors: u64,
    pub latency: Percentiles,
}

/// `connections` concurrent keep-alive clients reading one product's detail in a loop.
pub async fn product_detail(
    stack: Arc<Stack>,
    connections: usize,
    duration: Duration,
) -> Throughput {
    let (ids, seller) = products(&stack, 1).await;
    let path = format!("/v1/inventory/{}/receipts", ids[0]);
    let (_, _, token) = stack
        .command(
            Method::POST,
            &path,
            Some(&seller),
            Some(json!({ "quantity": 10 })),
        )
        .await;
    let url = format!("{}/v1/products/{}", stack.query_url, ids[0]);
    // Wait until it is visible, so every measured request finds it.
    let _ = stack
        .query(&format!("/v1/products/{}", ids[0]), None, token.as_deref())
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (url, stop, errors) = (url.clone(), stop.clone(), errors.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut samples = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    match client.get(&url).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            samples.push(t.elapsed());
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                samples
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    Throughput {
        connections,
        requests_per_sec: all.len() as f64 / elapsed,
        errors: errors.load(Ordering::Relaxed),
        latency: percentiles(all),
    }
}

pub fn print_visibility(v: &Visibility) {
    println!(
        "\n## Command → visible in the query API (stock receipt, then product detail with its consistency token)\n"
    );
    println!(
        "| rate | commands | failed | end-to-end p50 | p99 | max | after the command's answer p50 | p99 |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {}/s | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
        v.rate,
        v.sent,
        v.failed,
        v.end_to_end.p50_ms,
        v.end_to_end.p99_ms,
        v.end_to_end.max_ms,
        v.after_answer.p50_ms,
        v.after_answer.p99_ms
    );
}

pub fn print_throughput(t: &Throughput) {
    println!("\n## Query API: GET /v1/products/{{id}}\n");
    println!("| connections | requests/s | errors | p50 | p99 |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.0} | {} | {:.2} ms | {:.2} ms |",
        t.connections, t.requests_per_sec, t.errors, t.latency.p50_ms, t.latency.p99_ms
    );
}
