//! Command API throughput, one kind of command at a time: stock receipts (each client on a
//! product of its own), product listings (each a new SKU) and cart adds (each client on the
//! cart of a buyer of its own). Every answer but the expected status counts as an error.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::load::{self, Connection, Load};
use crate::stack::Stack;

/// The kinds of command measured, in the order [`run`] measures them.
pub const KINDS: [&str; 3] = [
    "POST /v1/inventory/{id}/receipts",
    "POST /v1/products",
    "POST /v1/cart/items",
];

/// Products one cart holds at most (`pasar_domain::cart::MAX_LINES`): cart adds cycle over
/// this many.
const CART_PRODUCTS: usize = 50;

/// What the clients work on.
struct Setup {
    seller: String,
    /// Listed products: one per client for receipts, and the ones carts hold.
    products: Vec<Uuid>,
    /// One buyer's token per client.
    buyers: Vec<String>,
}

/// One kind of command, sent by one client.
struct Commander {
    kind: usize,
    url: String,
    token: String,
    /// The products cart adds cycle over.
    products: Arc<Vec<Uuid>>,
    sent: usize,
}

impl Connection for Commander {
    async fn next(&mut self, http: &reqwest::Client) -> (usize, Result<(), String>) {
        self.sent += 1;
        let (body, expected) = match self.kind {
            0 => (json!({ "quantity": 1 }), StatusCode::CREATED),
            1 => {
                let sku = format!("C-{}", Uuid::new_v4().simple());
                let body = json!({ "sku": sku, "name": "Kopi Gayo 250 g", "price": 75_000, "weight_grams": 250 });
                (body, StatusCode::CREATED)
            }
            _ => {
                let product = self.products[self.sent % self.products.len()];
                (
                    json!({ "product_id": product, "quantity": 1 }),
                    StatusCode::OK,
                )
            }
        };
        let request = http.post(&self.url).bearer_auth(&self.token).json(&body);
        let answer = load::answer(request, expected).await;
        (self.kind, answer.map(drop))
    }
}

async fn setup(stack: &Arc<Stack>, connections: usize) -> anyhow::Result<Setup> {
    let (_, seller) = stack.register("seller").await;
    let mut products = Vec::new();
    for i in 0..connections.max(CART_PRODUCTS) {
        let sku = format!("CMD-{i}-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let body = json!({ "sku": sku, "name": format!("Produk {i}"), "price": 10_000, "weight_grams": 100 });
        let (status, body, _) = stack
            .command(Method::POST, "/v1/products", Some(&seller), Some(body))
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "list: {status} {body}");
        products.push(body["id"].as_str().unwrap_or_default().parse()?);
    }
    // Two at a time: password hashing is bounded per core, and more would be answered 503.
    let mut buyers = Vec::new();
    while buyers.len() < connections {
        let (a, b) = tokio::join!(stack.register("buyer"), stack.register("buyer"));
        buyers.extend([a.1, b.1]);
    }
    buyers.truncate(connections);
    Ok(Setup {
        seller,
        products,
        buyers,
    })
}

/// Measures each of [`KINDS`] for `duration` at `connections` clients.
pub async fn run(
    stack: &Arc<Stack>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Vec<Load>> {
    let setup = setup(stack, connections).await?;
    let cart_products = Arc::new(setup.products[..CART_PRODUCTS].to_vec());
    let mut loads = Vec::new();
    for (kind, name) in KINDS.iter().enumerate() {
        let clients = (0..connections)
            .map(|i| {
                let (url, token) = match kind {
                    0 => (
                        format!(
                            "{}/v1/inventory/{}/receipts",
                            stack.command_url, setup.products[i]
                        ),
                        setup.seller.clone(),
                    ),
                    1 => (
                        format!("{}/v1/products", stack.command_url),
                        setup.seller.clone(),
                    ),
                    _ => (
                        format!("{}/v1/cart/items", stack.command_url),
                        setup.buyers[i].clone(),
                    ),
                };
                Commander {
                    kind,
                    url,
                    token,
                    products: Arc::clone(&cart_products),
                    sent: i,
                }
            })
            .collect();
        // On stderr, so a profiler can be started for one kind alone.
        eprintln!("commands: {name} at {connections} connections");
        loads.push(load::run(clients, &KINDS, duration).await);
    }
    Ok(loads)
}

/// One row per kind of command.
pub fn print(loads: &[Load]) {
    let Some(first) = loads.first() else {
        return;
    };
    println!(
        "\n## Command API: commands at {} connections, each kind on its own\n",
        first.connections
    );
    println!("| command | answered | per s | errors | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, load) in loads.iter().enumerate() {
        load.classes[kind].print_row(load.seconds);
    }
    for (kind, load) in loads.iter().enumerate() {
        if let Some(e) = &load.classes[kind].first_error {
            println!("\n{}: first error: {}", KINDS[kind], load::truncate(e, 300));
        }
    }
}
