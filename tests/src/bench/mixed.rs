//! A realistic mix across several instances of each service (two command APIs, two query APIs,
//! two projectors on one database): closed-loop clients that each browse 70 % of the time
//! (product lists with filters and the cursor, product detail), search 15 %, add to the cart
//! 10 % and check out 5 %, spread over the instances. Reports throughput and latency per class,
//! and the CPU and memory of every service process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::latency::{Percentiles, percentiles};
use crate::stack::Stack;

/// The classes of request and their shares (percent).
const CLASSES: [(&str, u32); 4] = [
    ("browse", 70),
    ("search", 15),
    ("cart", 10),
    ("checkout", 5),
];
const WORDS: [&str; 6] = ["kaos", "kopi", "sepatu", "batik", "tas", "kaos polos"];
const NAMES: [&str; 6] = [
    "Kaos Polos Katun",
    "Kopi Gayo Arabika 250 g",
    "Sepatu Lari Pria",
    "Batik Tulis Solo",
    "Tas Ransel Kanvas",
    "Kaos Oblong Anak",
];

#[derive(Debug, Clone)]
pub struct Options {
    pub products: usize,
    /// Closed-loop clients, each a buyer of its own.
    pub clients: usize,
    pub duration: Duration,
}

pub struct Class {
    pub name: &'static str,
    pub requests: usize,
    pub errors: usize,
    pub latency: Percentiles,
}

pub struct Usage {
    pub service: String,
    /// Share of one core over the measured window.
    pub cpu_percent: f64,
    pub rss_mb: f64,
}

pub struct Mixed {
    pub options: Options,
    pub seconds: f64,
    pub classes: Vec<Class>,
    pub usage: Vec<Usage>,
}

/// Where the clients send their requests: every instance's base URL.
struct Targets {
    commands: Vec<String>,
    queries: Vec<String>,
    products: Vec<Uuid>,
}

/// Starts the stack with a second instance of each service, seeds the catalog and runs the mix.
pub async fn run(options: Options) -> anyhow::Result<Mixed> {
    let mut stack = Stack::start_with(&[
        ("RUST_LOG", "error"),
        ("RAJAONGKIR_URL", ""),
        ("RAJAONGKIR_API_KEY", ""),
        ("MAX_OPEN_CHECKOUTS_PER_BUYER", "1000000"),
    ])
    .await?;
    let mut targets = Targets {
        commands: vec![stack.command_url.clone()],
        queries: vec![stack.query_url.clone()],
        products: Vec::new(),
    };
    targets
        .commands
        .push(stack.start_instance("command-api", "command-api-2").await?);
    targets
        .queries
        .push(stack.start_instance("query-api", "query-api-2").await?);
    stack.start_instance("projector", "projector-2").await?;
    targets.products = seed(&stack, options.products).await?;
    let mut buyers = Vec::new();
    for _ in 0..options.clients {
        buyers.push(stack.register("buyer").await.1);
    }
    let (stack, targets) = (Arc::new(stack), Arc::new(targets));
    let labels = [
        "command-api",
        "command-api-2",
        "query-api",
        "query-api-2",
        "projector",
        "projector-2",
    ];
    let before: Vec<_> = labels.iter().map(|l| cpu_ticks(&stack, l)).collect();
    let started = Instant::now();
    let deadline = started + options.duration;
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, buyer)| {
            let (stack, targets) = (Arc::clone(&stack), Arc::clone(&targets));
            tokio::spawn(async move { client(&stack, &targets, i, &buyer, deadline).await })
        })
        .collect();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); CLASSES.len()];
    let mut errors = [0usize; CLASSES.len()];
    for task in tasks {
        let (s, e) = task.await?;
        for (class, (times, failed)) in s.into_iter().zip(e).enumerate() {
            samples[class].extend(times);
            errors[class] += failed;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let usage = labels
        .iter()
        .zip(before)
        .map(|(label, before)| usage(&stack, label, before, seconds))
        .collect();
    let classes = CLASSES
        .iter()
        .zip(samples.into_iter().zip(errors))
        .map(|((name, _), (times, errors))| Class {
            name,
            requests: times.len(),
            errors,
            latency: percentiles(times),
        })
        .collect();
    Ok(Mixed {
        options,
        seconds,
        classes,
        usage,
    })
}

/// `n` products with plenty of stock, listed and visible in the query API.
async fn seed(stack: &Stack, n: usize) -> anyhow::Result<Vec<Uuid>> {
    let (_, seller) = stack.register("seller").await;
    let mut ids = Vec::new();
    let mut token = None;
    for i in 0..n {
        let sku = format!("MIX-{i}-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let body = json!({ "sku": sku, "name": NAMES[i % NAMES.len()], "price": 10_000 + 500 * i as i64, "weight_grams": 300 });
        let (status, body, _) = stack
            .command(Method::POST, "/v1/products", Some(&seller), Some(body))
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "list: {status} {body}");
        let id: Uuid = body["id"].as_str().unwrap_or_default().parse()?;
        let receipts = format!("/v1/inventory/{id}/receipts");
        let (status, body, t) = stack
            .command(
                Method::POST,
                &receipts,
                Some(&seller),
                Some(json!({ "quantity": 1_000_000 })),
            )
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "receive: {status} {body}");
        ids.push(id);
        token = t;
    }
    let (status, body) = stack
        .query("/v1/products?limit=1", None, token.as_deref())
        .await;
    anyhow::ensure!(
        status == StatusCode::OK,
        "catalog not visible: {status} {body}"
    );
    Ok(ids)
}

type ClassSamples = (Vec<Vec<Duration>>, Vec<usize>);

/// One closed-loop client until `deadline`: its samples and errors per class.
async fn client(
    stack: &Stack,
    targets: &Targets,
    i: usize,
    buyer: &str,
    deadline: Instant,
) -> ClassSamples {
    let mut samples = vec![Vec::new(); CLASSES.len()];
    let mut errors = vec![0; CLASSES.len()];
    let mut cursor: Option<String> = None;
    let mut n = i;
    while Instant::now() < deadline {
        n += 1;
        let roll = rand::thread_rng().gen_range(0..100);
        let class = CLASSES
            .iter()
            .scan(0, |sum, (_, share)| {
                *sum += share;
                Some(*sum)
            })
            .position(|limit| roll < limit)
            .unwrap_or(0);
        let query = &targets.queries[n % targets.queries.len()];
        let command = &targets.commands[n % targets.commands.len()];
        let product = targets.products[rand::thread_rng().gen_range(0..targets.products.len())];
        let started = Instant::now();
        let ok = match class {
            0 if n.is_multiple_of(2) => {
                let after = cursor
                    .take()
                    .map(|c| format!("&cursor={c}"))
                    .unwrap_or_default();
                let url =
                    format!("{query}/v1/products?limit=20&sort=price_asc&min_price=10000{after}");
                let (status, body, _) = stack.send(Method::GET, url, None, None, &[]).await;
                cursor = body["next_cursor"].as_str().map(str::to_owned);
                status == StatusCode::OK
            }
            0 => get_ok(stack, format!("{query}/v1/products/{product}")).await,
            1 => {
                let word = WORDS[n % WORDS.len()].replace(' ', "+");
                get_ok(stack, format!("{query}/v1/search?q={word}")).await
            }
            2 => add_to_cart(stack, command, buyer, product).await,
            _ => {
                if !add_to_cart(stack, command, buyer, product).await {
                    errors[class] += 1;
                    continue;
                }
                let started = Instant::now();
                let ok = checkout(stack, command, buyer).await;
                record(&mut samples[class], &mut errors[class], ok, started);
                continue;
            }
        };
        record(&mut samples[class], &mut errors[class], ok, started);
    }
    (samples, errors)
}

fn record(samples: &mut Vec<Duration>, errors: &mut usize, ok: bool, started: Instant) {
    if ok {
        samples.push(started.elapsed());
    } else {
        *errors += 1;
    }
}

async fn get_ok(stack: &Stack, url: String) -> bool {
    let (status, _, _) = stack.send(Method::GET, url, None, None, &[]).await;
    status == StatusCode::OK
}

async fn add_to_cart(stack: &Stack, command: &str, buyer: &str, product: Uuid) -> bool {
    let url = format!("{command}/v1/cart/items");
    let item = json!({ "product_id": product, "quantity": 1 });
    let (status, _, _) = stack
        .send(Method::POST, url, Some(buyer), Some(item), &[])
        .await;
    status == StatusCode::OK
}

async fn checkout(stack: &Stack, command: &str, buyer: &str) -> bool {
    let key = Uuid::new_v4().to_string();
    let body = json!({ "shipping_address": { "recipient": "Budi", "phone": "08123456789", "address": "Jl. Sudirman 12", "city": "Jakarta", "postal_code": "12190" } });
    let url = format!("{command}/v1/checkout");
    let (status, answer, _): (StatusCode, Value, _) = stack
        .send(
            Method::POST,
            url,
            Some(buyer),
            Some(body),
            &[("idempotency-key", &key)],
        )
        .await;
    if status != StatusCode::CREATED {
        eprintln!("mixed: checkout answered {status}: {answer}");
    }
    status == StatusCode::CREATED
}

/// utime + stime of a service, in clock ticks.
fn cpu_ticks(stack: &Stack, label: &str) -> u64 {
    let Some(pid) = stack.pid(label) else {
        return 0;
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let at = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state.
    at(11) + at(12)
}

fn usage(stack: &Stack, label: &str, before: u64, seconds: f64) -> Usage {
    const TICKS_PER_SECOND: f64 = 100.0;
    let ticks = cpu_ticks(stack, label).saturating_sub(before);
    let rss_mb = super::load::rss_mb(stack, label).unwrap_or(0.0);
    Usage {
        service: label.to_owned(),
        cpu_percent: ticks as f64 / TICKS_PER_SECOND / seconds * 100.0,
        rss_mb,
    }
}

pub fn print(report: &Mixed) {
    let o = &report.options;
    println!(
        "\n## Mixed load over two instances of each service ({} clients, {} products, {:.1} s)\n",
        o.clients, o.products, report.seconds
    );
    println!("| class | share | requests | per s | errors | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut total = 0;
    for (class, (_, share)) in report.classes.iter().zip(CLASSES) {
        total += class.requests;
        println!(
            "| {} | {share} % | {} | {:.0} | {} | {:.1} ms | {:.1} ms |",
            class.name,
            class.requests,
            class.requests as f64 / report.seconds,
            class.errors,
            class.latency.p50_ms,
            class.latency.p99_ms
        );
    }
    println!(
        "| all | | {total} | {:.0} | | | |",
        total as f64 / report.seconds
    );
    println!("\n| service | CPU (% of one core) | RSS after |");
    println!("|---|---:|---:|");
    for u in &report.usage {
        println!(
            "| {} | {:.0} % | {:.0} MB |",
            u.service, u.cpu_percent, u.rss_mb
        );
    }
}
