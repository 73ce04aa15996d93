//! A realistic shop loaded through the command API (never behind its back): a category tree
//! with Indonesian names (created by the admin), sellers, products in it with Indonesian
//! names, brands, prices and stock, buyers, carts, checkouts, paid and shipped
//! orders. Every command carries an `Idempotency-Key` derived from what it creates, so running
//! the loader again changes nothing and answers the same ids (`pasar-demo`, `scripts/dev
//! --demo`).

use std::time::Instant;

use anyhow::{Context as _, bail};
use futures::{StreamExt, TryStreamExt};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

mod categories;

/// The password of every demo account (they are demo accounts: say so in the README).
pub const PASSWORD: &str = "pasar-demo-2026";

/// How much to load.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub sellers: usize,
    pub products: usize,
    pub buyers: usize,
}

impl Size {
    /// What `scripts/dev --demo` loads.
    pub const FULL: Size = Size {
        sellers: 20,
        products: 2_000,
        buyers: 200,
    };
}

/// Where the services are.
#[derive(Debug, Clone)]
pub struct Target {
    pub command_url: String,
    /// The Midtrans simulator's base URL: paid orders need it (`None`: orders stay unpaid).
    pub midtrans_sim_url: Option<String>,
    /// An admin's email and password (`PASAR_ADMIN_EMAIL`, `PASAR_ADMIN_PASSWORD`): the
    /// admin creates the category tree.
    pub admin: (String, String),
}

/// What was loaded (the same on every run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Categories in the tree (roots, subcategories and leaves).
    pub categories: usize,
    pub sellers: usize,
    pub products: usize,
    pub buyers: usize,
    pub checkouts: usize,
    pub paid: usize,
    pub shipped: usize,
    /// The product ids, in SKU order.
    pub product_ids: Vec<String>,
}

const CONCURRENCY: usize = 16;

/// Name, base price, weight in grams, and the index of its category in [`categories::LEAVES`].
const NOUNS: &[(&str, i64, i32, usize)] = &[
    ("Kopi Arabika", 85_000, 250, 0),
    ("Kaos Polos Katun", 59_000, 200, 6),
    ("Sepatu Lari Pria", 450_000, 900, 12),
    ("Kemeja Batik Lengan Panjang", 175_000, 300, 9),
    ("HP Samsung A15 128GB", 2_199_000, 400, 16),
    ("Tas Ransel Kanvas", 189_000, 700, 14),
    ("Kue Nastar Keju", 95_000, 500, 2),
    ("Madu Hutan Asli", 120_000, 650, 4),
    ("Sambal Roa Botol", 45_000, 300, 5),
    ("Jaket Hoodie Fleece", 210_000, 600, 8),
    ("Kerudung Segi Empat Voal", 65_000, 150, 10),
    ("Sandal Jepit Karet", 25_000, 250, 13),
    ("Teh Melati Celup", 18_000, 100, 1),
    ("Celana Chino Slim Fit", 199_000, 450, 7),
    ("Earphone Bluetooth TWS", 149_000, 120, 17),
    ("Rice Cooker 1.8 Liter", 349_000, 2_500, 18),
    ("Minyak Kayu Putih 60 ml", 28_000, 90, 19),
    ("Dompet Kulit Asli", 135_000, 150, 15),
    ("Keripik Singkong Balado", 22_000, 200, 3),
    ("Mukena Katun Rayon", 230_000, 500, 11),
];
const BRANDS: &[&str] = &[
    "Gayo",
    "Nusantara",
    "Batik Keris",
    "Samsung",
    "Eiger",
    "Kapal Api",
    "Sariwangi",
    "Miniso Lokal",
    "Bandung Craft",
    "Toba",
];
const VARIANTS: &[&str] = &[
    "Hitam",
    "Putih",
    "Merah",
    "Biru Navy",
    "Hijau Army",
    "Abu-abu",
    "Coklat",
    "Krem",
    "Ukuran M",
    "Ukuran L",
    "Ukuran XL",
    "Edisi Terbatas",
    "Kemasan Hemat",
    "Original",
];
/// City, postal code, and the RajaOngkir location search that finds a place in it.
const CITIES: &[(&str, &str, &str)] = &[
    ("Jakarta Selatan", "12190", "senayan"),
    ("Bandung", "40115", "dago"),
    ("Surabaya", "60271", "gubeng"),
    ("Medan", "20112", "padang bulan"),
    ("Yogyakarta", "55281", "terban"),
    ("Makassar", "90111", "pandang"),
    ("Denpasar", "80113", "dauh puri"),
];
const FIRST_NAMES: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Rina", "Joko", "Wulan",
];

struct Api<'a> {
    http: &'a Client,
    base: &'a str,
}

impl Api<'_> {
    /// Sends a keyed command; answers the body of a success, fails otherwise.
    async fn keyed(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: &str,
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("idempotency-key", key)
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    async fn ok(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.keyed(method, path, token, key, body).await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {answer}");
        }
        Ok(answer)
    }

    /// The first RajaOngkir location for `search`; `None` when shipping is not configured (503)
    /// or nothing matches.
    async fn location(&self, token: &str, search: &str) -> anyhow::Result<Option<u64>> {
        let response = self
            .http
            .get(format!("{}/v1/shipping/destinations", self.base))
            .query(&[("search", search)])
            .bearer_auth(token)
            .send()
            .await
            .context("GET /v1/shipping/destinations")?;
        if !response.status().is_success() {
            return Ok(None);
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok(body["destinations"][0]["id"].as_u64())
    }

    /// Shipping for the buyer's cart to `destination`: the cheapest service of each seller's
    /// quote, as checkout's `shipments`. `Err(title)` when quoting was refused (`Cart is
    /// empty` after an earlier run checked the cart out).
    async fn cheapest_shipments(
        &self,
        token: &str,
        destination: u64,
    ) -> anyhow::Result<Result<Value, String>> {
        let response = self
            .http
            .get(format!("{}/v1/shipping/quotes", self.base))
            .query(&[("destination", destination)])
            .bearer_auth(token)
            .send()
            .await
            .context("GET /v1/shipping/quotes")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Ok(Err(body["title"].as_str().unwrap_or_default().to_owned()));
        }
        let mut shipments = Vec::new();
        for group in body["groups"].as_array().into_iter().flatten() {
            let Some(cheapest) = group["services"].get(0) else {
                return Ok(Err("no courier serves a parcel".to_owned()));
            };
            shipments.push(json!({
                "seller_id": group["seller_id"], "quote_id": group["quote_id"],
                "courier": cheapest["courier"], "service": cheapest["service"],
            }));
        }
        Ok(Ok(Value::Array(shipments)))
    }

    /// Signs in; answers the access token.
    async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .context("POST /v1/auth/login")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("signing in as {email} answered {status}: {body}");
        }
        Ok(body["access_token"]
            .as_str()
            .context("access token")?
            .to_owned())
    }

    /// Registers (or, run again, signs back in to) a demo account; answers (id, token).
    async fn account(
        &self,
        email: &str,
        name: &str,
        role: &str,
    ) -> anyhow::Result<(String, String)> {
        let body = json!({ "email": email, "password": PASSWORD, "full_name": name, "role": role });
        let key = format!("demo-register-{email}");
        let mut attempt = 0;
        let answer = loop {
            let (status, answer) = self
                .keyed(Method::POST, "/v1/auth/register", None, &key, body.clone())
                .await?;
            // 503: every password-hashing slot busy; wait a little and retry.
            if status == StatusCode::SERVICE_UNAVAILABLE && attempt < 50 {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                continue;
            }
            if !status.is_success() {
                bail!("registering {email} answered {status}: {answer}");
            }
            break answer;
        };
        let id = answer["user"]["id"].as_str().context("user id")?.to_owned();
        let token = answer["access_token"]
            .as_str()
            .context("access token")?
            .to_owned();
        Ok((id, token))
    }
}

fn product(seller: usize, n: usize, index: usize, category_id: &str) -> (String, Value, i64) {
    let (noun, base_price, weight, _) = NOUNS[index % NOUNS.len()];
    let brand = BRANDS[(index / NOUNS.len() + seller) % BRANDS.len()];
    let variant = VARIANTS[(index * 7 + seller) % VARIANTS.len()];
    let sku = format!("DEMO-{seller:02}-{n:04}");
    // Prices vary by a few percent around the base, rounded to 500 rupiah.
    let spread = i64::try_from(index % 21).unwrap_or(0) - 10;
    let price = ((base_price + base_price * spread / 100) / 500).max(1) * 500;
    let condition = if index.is_multiple_of(17) {
        "used"
    } else {
        "new"
    };
    let body = json!({
        "sku": sku,
        "name": format!("{noun} {brand} {variant}"),
        "description": format!("{noun} merek {brand}, varian {variant}. Dikirim dari gudang penjual dalam 1x24 jam."),
        "price": price,
        "weight_grams": weight,
        "brand": brand,
        "condition": condition,
        "category_id": category_id,
    });
    let stock = 5 + i64::try_from(index * 37 % 200).unwrap_or(0);
    (sku, body, stock)
}

/// Loads the shop. Safe to run again: every command is keyed by what it creates.
pub async fn load(target: &Target, size: Size) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let http = Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let api = Api {
        http: &http,
        base: &target.command_url,
    };
    let api = &api;

    // The category tree, created by the admin.
    let admin = api.login(&target.admin.0, &target.admin.1).await?;
    let category_ids = categories::create(api, &admin).await?;
    eprintln!(
        "demo: {} categories ({:.1} s)",
        category_ids.len(),
        started.elapsed().as_secs_f64()
    );
    let category_ids = &category_ids;

    // Sellers.
    let sellers: Vec<(String, String)> = futures::stream::iter(0..size.sellers)
        .map(|s| async move {
            let name = format!(
                "Toko {} {}",
                FIRST_NAMES[s % FIRST_NAMES.len()],
                CITIES[s % CITIES.len()].0
            );
            api.account(&format!("seller{s:02}@demo.pasar.id"), &name, "seller")
                .await
        })
        .buffered(4)
        .try_collect()
        .await?;
    eprintln!(
        "demo: {} sellers ({:.1} s)",
        sellers.len(),
        started.elapsed().as_secs_f64()
    );

    // Store profiles, each shipping from its city (when the command API has shipping).
    let ships = match sellers.first() {
        Some((_, token)) => api.location(token, CITIES[0].2).await?.is_some(),
        None => false,
    };
    if ships {
        for (s, (_, token)) in sellers.iter().enumerate() {
            let (city, _, search) = CITIES[s % CITIES.len()];
            let Some(origin) = api.location(token, search).await? else {
                bail!("no RajaOngkir location for {search}");
            };
            let profile = json!({
                "store_name": format!("Toko {} {city}", FIRST_NAMES[s % FIRST_NAMES.len()]),
                "description": format!("Belanja hemat, dikirim dari {city}"),
                "origin": origin,
            });
            api.ok(
                Method::PUT,
                "/v1/seller/profile",
                Some(token),
                &format!("demo-profile-{s}"),
                profile,
            )
            .await?;
        }
        eprintln!("demo: {} store profiles", sellers.len());
    }

    // Products and their stock.
    let per_seller = size.products.div_ceil(size.sellers.max(1));
    let jobs: Vec<(usize, usize, usize)> = (0..size.products)
        .map(|index| {
            (
                index % size.sellers.max(1),
                index / size.sellers.max(1),
                index,
            )
        })
        .collect();
    let sellers_ref = &sellers;
    let mut products: Vec<(String, String, usize)> = futures::stream::iter(jobs)
        .map(|(seller, n, index)| async move {
            let leaf = NOUNS[index % NOUNS.len()].3;
            let category = categories::leaf_id(category_ids, leaf)?;
            let (sku, body, stock) = product(seller, n, index, category);
            let token = &sellers_ref[seller].1;
            let listed = api
                .ok(
                    Method::POST,
                    "/v1/products",
                    Some(token),
                    &format!("demo-list-{sku}"),
                    body,
                )
                .await?;
            let id = listed["id"].as_str().context("product id")?.to_owned();
            api.ok(
                Method::POST,
                &format!("/v1/inventory/{id}/receipts"),
                Some(token),
                &format!("demo-receive-{sku}"),
                json!({ "quantity": stock }),
            )
            .await?;
            anyhow::Ok((sku, id, seller))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    products.sort();
    eprintln!(
        "demo: {} products ({} per seller, {:.1} s)",
        products.len(),
        per_seller,
        started.elapsed().as_secs_f64()
    );

    // Buyers: every buyer has a cart; two thirds check out; of those, three quarters pay;
    // half of the paid orders are shipped.
    let products_ref = &products;
    let outcomes: Vec<(bool, usize, usize)> = futures::stream::iter(0..size.buyers)
        .map(|b| async move {
            let email = format!("buyer{b:03}@demo.pasar.id");
            let name = format!("{} {}", FIRST_NAMES[b % FIRST_NAMES.len()], ["Santoso", "Wijaya", "Lestari", "Saputra", "Hasanah"][b % 5]);
            let (_, token) = api.account(&email, &name, "buyer").await?;
            if products_ref.is_empty() {
                return anyhow::Ok((false, 0, 0));
            }
            for line in 0..(1 + b % 3) {
                let (_, product_id, _) = &products_ref[(b * 13 + line * 101) % products_ref.len()];
                api.ok(
                    Method::POST,
                    "/v1/cart/items",
                    Some(&token),
                    &format!("demo-cart-{b}-{line}"),
                    json!({ "product_id": product_id, "quantity": 1 + (b + line) % 2 }),
                )
                .await?;
            }
            if b % 3 == 2 {
                return Ok((false, 0, 0));
            }
            let (city, postal_code, search) = CITIES[b % CITIES.len()];
            let mut address = json!({
                "recipient": name, "phone": format!("0812{:08}", 10_000_000 + b), "address": format!("Jl. Merdeka No. {}", 1 + b % 99),
                "city": city, "postal_code": postal_code,
            });
            let mut request = json!({ "shipping_address": address });
            if ships {
                // Destinations → quotes → checkout with the cheapest service per seller.
                let Some(destination) = api.location(&token, search).await? else {
                    return Ok((false, 0, 0));
                };
                let shipments = match api.cheapest_shipments(&token, destination).await? {
                    Ok(shipments) => shipments,
                    // An earlier run checked this cart out (its quotes cannot be asked for again,
                    // so neither can its checkout be replayed): report what that run did, from
                    // the same rules.
                    Err(title) if title == "Cart is empty" => {
                        let paid = target.midtrans_sim_url.is_some() && b % 4 != 3;
                        let sellers: std::collections::BTreeSet<usize> = (0..(1 + b % 3))
                            .map(|line| products_ref[(b * 13 + line * 101) % products_ref.len()].2)
                            .collect();
                        let shipped = if paid && b.is_multiple_of(2) { sellers.len() } else { 0 };
                        return Ok((true, usize::from(paid), shipped));
                    }
                    Err(title) => {
                        eprintln!("demo: buyer {b}'s quotes were refused: {title}");
                        return Ok((false, 0, 0));
                    }
                };
                address["destination_id"] = json!(destination);
                request = json!({ "shipping_address": address, "shipments": shipments });
            }
            let (status, placed) = api
                .keyed(Method::POST, "/v1/checkout", Some(&token), &format!("demo-checkout-{b}"), request)
                .await?;
            if status != StatusCode::CREATED {
                // Sold out or over a limit: a real shop has those too.
                eprintln!("demo: buyer {b}'s checkout answered {status}: {}", placed["title"]);
                return Ok((false, 0, 0));
            }
            let (Some(sim), true) = (&target.midtrans_sim_url, b % 4 != 3) else {
                return Ok((true, 0, 0));
            };
            let payment = placed["payment"]["id"].as_str().context("payment id")?;
            let paid = api.http.post(format!("{sim}/_sim/transactions/{payment}/pay")).send().await?;
            // Already paid (a second run) answers an error: the order is paid all the same.
            let _ = paid.status();
            let mut shipped = 0;
            if b.is_multiple_of(2) {
                for order in placed["orders"].as_array().into_iter().flatten() {
                    let order_id = order["id"].as_str().context("order id")?;
                    let seller_id = order["seller_id"].as_str().unwrap_or_default();
                    let Some((_, seller_token)) = sellers_ref.iter().find(|(id, _)| id == seller_id) else {
                        continue;
                    };
                    if ship(api, order_id, seller_token, b).await? {
                        shipped += 1;
                    }
                }
            }
            Ok((true, 1, shipped))
        })
        .buffer_unordered(CONCURRENCY / 2)
        .try_collect()
        .await?;
    let loaded = Loaded {
        categories: category_ids.len(),
        sellers: sellers.len(),
        products: products.len(),
        buyers: size.buyers,
        checkouts: outcomes.iter().filter(|o| o.0).count(),
        paid: outcomes.iter().map(|o| o.1).sum(),
        shipped: outcomes.iter().map(|o| o.2).sum(),
        product_ids: products.into_iter().map(|(_, id, _)| id).collect(),
    };
    eprintln!(
        "demo: {} buyers, {} checkouts, {} paid, {} orders shipped ({:.1} s)",
        loaded.buyers,
        loaded.checkouts,
        loaded.paid,
        loaded.shipped,
        started.elapsed().as_secs_f64()
    );
    Ok(loaded)
}

/// Ships a paid order once the payment has reached it (the order flow is asynchronous).
async fn ship(
    api: &Api<'_>,
    order_id: &str,
    seller_token: &str,
    buyer: usize,
) -> anyhow::Result<bool> {
    let courier = ["JNE REG", "J&T EZ", "SiCepat BEST"][buyer % 3];
    let body = json!({ "courier": courier, "tracking_number": format!("DEMO{buyer:06}") });
    let path = format!("/v1/orders/{order_id}/shipments");
    let key = format!("demo-ship-{order_id}");
    let deadline = Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, answer) = api
            .keyed(Method::POST, &path, Some(seller_token), &key, body.clone())
            .await?;
        if status.is_success() {
            return Ok(true);
        }
        // Still awaiting payment: the settlement is on its way through the order flow.
        let waiting =
            status == StatusCode::CONFLICT && answer["order_status"] == "awaiting_payment";
        if !waiting || Instant::now() > deadline {
            eprintln!("demo: shipping {order_id} answered {status}: {answer}");
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
