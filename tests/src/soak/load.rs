//! The soak's clients: sellers open a shop, buyers fill carts, check out, replay their keys and
//! pay (sometimes twice, sometimes with an older notification after the newer one, sometimes
//! late), all over HTTP while services die under them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, bail};
use rand::Rng as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::stack::Stack;

/// Units each product starts with.
const INITIAL_UNITS: i64 = 40;
/// Products per seller.
const PRODUCTS_PER_SELLER: usize = 5;

/// What a client needs of the stack: addresses and an HTTP client (the stack itself belongs
/// to the chaos task).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    command: String,
    sim: String,
}

impl Client {
    pub fn of(stack: &Stack) -> Self {
        Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("an HTTP client"),
            command: stack.command_url.clone(),
            sim: stack.sim.base_url(),
        }
    }

    /// One command; `None` when no answer came (the service was down).
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Option<(StatusCode, Value)> {
        let mut request = self.http.request(method, format!("{}{path}", self.command));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.ok()?;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        Some((status, body))
    }

    /// A command retried until some service answers (kills last a second or two).
    async fn send_until_answered(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        for _ in 0..60 {
            match self
                .send(method.clone(), path, token, body.clone(), None)
                .await
            {
                Some((status, _)) if status.is_server_error() => {}
                Some(answer) => return Ok(answer),
                None => {}
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        bail!("{path}: no answer in 30 s")
    }

    async fn register(&self, role: &str) -> anyhow::Result<String> {
        let email = format!("soak-{role}-{}@pasar.test", Uuid::new_v4().simple());
        let body = json!({"email": email, "password": "soak-password-1", "full_name": "Soak", "role": role});
        let (status, body) = self
            .send_until_answered(Method::POST, "/v1/auth/register", None, Some(body))
            .await?;
        if status != StatusCode::CREATED {
            bail!("register {role}: {status} {body}");
        }
        Ok(body["access_token"]
            .as_str()
            .context("an access token")?
            .to_owned())
    }

    async fn sim(&self, path: &str, body: Option<Value>) -> Option<StatusCode> {
        let mut request = self.http.post(format!("{}{path}", self.sim));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.ok().map(|r| r.status())
    }
}

/// The products on sale.
pub struct Shop {
    pub products: Vec<Uuid>,
    /// Each product's seller's access token, for restocking.
    owners: Vec<String>,
}

/// `sellers` sellers list [`PRODUCTS_PER_SELLER`] products each and receive stock.
pub async fn open_shop(client: &Client, sellers: usize) -> anyhow::Result<Shop> {
    let (mut products, mut owners) = (Vec::new(), Vec::new());
    for s in 0..sellers {
        let token = client.register("seller").await?;
        for p in 0..PRODUCTS_PER_SELLER {
            let sku = format!("SOAK-{s}-{p}-{}", &Uuid::new_v4().simple().to_string()[..8]);
            let body = json!({"sku": sku, "name": format!("Produk {s}-{p}"), "price": 10_000 + 1_000 * p as i64, "weight_grams": 250});
            let (status, body) = client
                .send_until_answered(Method::POST, "/v1/products", Some(&token), Some(body))
                .await?;
            if status != StatusCode::CREATED {
                bail!("list product: {status} {body}");
            }
            let id: Uuid = body["id"].as_str().context("a product id")?.parse()?;
            let path = format!("/v1/inventory/{id}/receipts");
            let receipt = json!({"quantity": INITIAL_UNITS});
            let (status, body) = client
                .send_until_answered(Method::POST, &path, Some(&token), Some(receipt))
                .await?;
            if status != StatusCode::CREATED {
                bail!("receive stock: {status} {body}");
            }
            products.push(id);
            owners.push(token.clone());
        }
    }
    Ok(Shop { products, owners })
}

/// Sellers restock a random product every second, so the shop never sells out for long.
pub fn spawn_restocking(client: &Client, shop: &Shop, stop: &CancellationToken) -> JoinHandle<()> {
    let (client, stop) = (client.clone(), stop.clone());
    let stock: Vec<(Uuid, String)> = shop
        .products
        .iter()
        .copied()
        .zip(shop.owners.iter().cloned())
        .collect();
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            let (product, token) = &stock[rand::thread_rng().gen_range(0..stock.len())];
            let path = format!("/v1/inventory/{product}/receipts");
            let receipt = json!({"quantity": 10});
            client
                .send(Method::POST, &path, Some(token), Some(receipt), None)
                .await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Live counters shared by the buyers.
#[derive(Default)]
pub struct Counters {
    placed: AtomicU64,
    refused: AtomicU64,
    failed: AtomicU64,
    replays: AtomicU64,
    replays_matching: AtomicU64,
    paid: AtomicU64,
    duplicated: AtomicU64,
    reordered: AtomicU64,
    late: AtomicU64,
}

/// A snapshot of [`Counters`].
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub placed: u64,
    pub refused: u64,
    pub failed: u64,
    pub replays: u64,
    pub replays_matching: u64,
    pub paid: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub late: u64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Tally {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Tally {
            placed: get(&self.placed),
            refused: get(&self.refused),
            failed: get(&self.failed),
            replays: get(&self.replays),
            replays_matching: get(&self.replays_matching),
            paid: get(&self.paid),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            late: get(&self.late),
        }
    }
}

/// Registers `n` buyers and starts their loops; they stop when `stop` fires.
pub async fn spawn_buyers(
    client: &Client,
    shop: &Shop,
    n: usize,
    tally: &Arc<Counters>,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<JoinHandle<()>>> {
    let products = Arc::new(shop.products.clone());
    let mut handles = Vec::new();
    for _ in 0..n {
        let token = client.register("buyer").await?;
        let (client, products, tally, stop) = (
            client.clone(),
            Arc::clone(&products),
            Arc::clone(tally),
            stop.clone(),
        );
        handles.push(tokio::spawn(async move {
            while !stop.is_cancelled() {
                buy_once(&client, &token, &products, &tally).await;
            }
        }));
    }
    Ok(handles)
}

fn address() -> Value {
    json!({"recipient": "Budi", "phone": "08123456789", "address": "Jl. Sudirman 12", "city": "Jakarta", "postal_code": "12190"})
}

/// One round: a line in the cart, a checkout, maybe a replay of its key, then one of the ways
/// of paying (or not paying at all).
async fn buy_once(client: &Client, token: &str, products: &[Uuid], tally: &Counters) {
    let (product, quantity) = {
        let mut rng = rand::thread_rng();
        (
            products[rng.gen_range(0..products.len())],
            rng.gen_range(1..=2),
        )
    };
    let item = json!({"product_id": product, "quantity": quantity});
    let Some((StatusCode::OK, cart)) = client
        .send(
            Method::POST,
            "/v1/cart/items",
            Some(token),
            Some(item),
            None,
        )
        .await
    else {
        tokio::time::sleep(Duration::from_millis(200)).await;
        return;
    };
    keep_only(client, token, product, &cart).await;
    let key = Uuid::new_v4().to_string();
    let body = json!({"shipping_address": address()});
    let answer = client
        .send(
            Method::POST,
            "/v1/checkout",
            Some(token),
            Some(body.clone()),
            Some(&key),
        )
        .await;
    let placed = match answer {
        Some((StatusCode::CREATED, placed)) => placed,
        Some((status, _)) if status.is_client_error() => {
            Counters::bump(&tally.refused);
            return;
        }
        _ => {
            Counters::bump(&tally.failed);
            return;
        }
    };
    Counters::bump(&tally.placed);
    replay(client, token, &key, &body, &placed, tally).await;
    pay(client, &placed, tally).await;
}

/// The same key and body again: the recorded answer, verbatim apart from its token.
async fn replay(
    client: &Client,
    token: &str,
    key: &str,
    body: &Value,
    placed: &Value,
    tally: &Counters,
) {
    if !rand::thread_rng().gen_bool(0.2) {
        return;
    }
    Counters::bump(&tally.replays);
    let again = client
        .send(
            Method::POST,
            "/v1/checkout",
            Some(token),
            Some(body.clone()),
            Some(key),
        )
        .await;
    if let Some((StatusCode::CREATED, again)) = again
        && again["orders"] == placed["orders"]
        && again["payment"] == placed["payment"]
    {
        Counters::bump(&tally.replays_matching);
    }
}

async fn pay(client: &Client, placed: &Value, tally: &Counters) {
    let Some(payment) = placed["payment"]["id"].as_str() else {
        return;
    };
    let choice = rand::thread_rng().gen_range(0..10);
    let pay_path = format!("/_sim/transactions/{payment}/pay");
    match choice {
        // Never paid: the order expires and its stock comes back.
        0..=1 => {}
        // Paid, and the settlement delivered twice.
        2..=3 => {
            if client.sim(&pay_path, None).await.is_some() {
                Counters::bump(&tally.paid);
                let resend = format!("/_sim/transactions/{payment}/resend");
                client.sim(&resend, None).await;
                Counters::bump(&tally.duplicated);
            }
        }
        // Paid, then an older `pending` notification arrives after the settlement.
        4..=5 => {
            if client.sim(&pay_path, None).await.is_some() {
                Counters::bump(&tally.paid);
                let notify = format!("/_sim/transactions/{payment}/notify");
                client
                    .sim(&notify, Some(json!({"status": "pending"})))
                    .await;
                Counters::bump(&tally.reordered);
            }
        }
        // Paid near the end of the payment window.
        6 => {
            tokio::time::sleep(Duration::from_secs(8)).await;
            if client.sim(&pay_path, None).await.is_some() {
                Counters::bump(&tally.paid);
                Counters::bump(&tally.late);
            }
        }
        _ => {
            if client.sim(&pay_path, None).await.is_some() {
                Counters::bump(&tally.paid);
            }
        }
    }
}

/// Removes every cart line but `product`'s: a refused or unanswered checkout leaves its lines
/// in the cart, and each round should buy one line.
async fn keep_only(client: &Client, token: &str, product: Uuid, cart: &Value) {
    let others = cart["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["product_id"].as_str())
        .filter(|id| *id != product.to_string());
    for id in others {
        let path = format!("/v1/cart/items/{id}");
        client
            .send(Method::DELETE, &path, Some(token), None, None)
            .await;
    }
}
