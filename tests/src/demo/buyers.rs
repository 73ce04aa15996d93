//! The buyers' side of the demo shop: every buyer fills a cart; two thirds check out (with
//! quoted shipping when the command API ships); of those, three quarters pay through the
//! Midtrans simulator; half of the paid orders are shipped by their sellers, and a quarter of
//! those buyers review a product once the admin has marked the orders delivered.

use std::collections::BTreeSet;
use std::time::Instant;

use anyhow::Context as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::Target;
use super::api::Api;
use super::data::{CITIES, FIRST_NAMES};
use super::sellers::{Listed, Seller};

/// What became of one buyer: (checked out, paid checkouts, orders shipped, reviews).
pub(super) type Outcome = (bool, usize, usize, usize);

const NOTHING: Outcome = (false, 0, 0, 0);
/// What reviewing buyers say, by the rating they give (4 or 5 stars).
const PRAISE: [(&str, &str); 2] = [
    (
        "Sesuai deskripsi",
        "Barang sesuai foto, pengiriman cepat. Terima kasih, seller!",
    ),
    (
        "Mantap, recommended",
        "Kualitas bagus untuk harganya, dikemas rapi. Pasti beli lagi.",
    ),
];
const SURNAMES: [&str; 5] = ["Santoso", "Wijaya", "Lestari", "Saputra", "Hasanah"];

/// Everything a buyer's journey reads.
pub(super) struct Shop<'a> {
    pub api: &'a Api<'a>,
    /// The admin's token: marks shipped orders delivered and approves the reviews.
    pub admin: &'a str,
    pub target: &'a Target,
    pub ships: bool,
    pub products: &'a [Listed],
    pub sellers: &'a [Seller],
}

impl Shop<'_> {
    /// The products of buyer `b`'s cart lines.
    fn line(&self, b: usize, line: usize) -> &Listed {
        &self.products[(b * 13 + line * 101) % self.products.len()]
    }

    /// Buyer `b`'s whole journey.
    pub(super) async fn buyer(&self, b: usize) -> anyhow::Result<Outcome> {
        let email = format!("buyer{b:03}@demo.pasar.id");
        let name = format!("{} {}", FIRST_NAMES[b % FIRST_NAMES.len()], SURNAMES[b % 5]);
        let (_, token) = self.api.account(&email, &name, "buyer").await?;
        if self.products.is_empty() {
            return Ok(NOTHING);
        }
        for line in 0..(1 + b % 3) {
            let (_, product_id, _) = self.line(b, line);
            let item = json!({ "product_id": product_id, "quantity": 1 + (b + line) % 2 });
            let key = format!("demo-cart-{b}-{line}");
            self.api
                .ok(Method::POST, "/v1/cart/items", Some(&token), &key, item)
                .await?;
        }
        if b % 3 == 2 {
            return Ok(NOTHING);
        }
        let request = match self.checkout_request(b, &name, &token).await? {
            Ok(request) => request,
            Err(outcome) => return Ok(outcome),
        };
        let key = format!("demo-checkout-{b}");
        let (status, placed) = self
            .api
            .keyed(Method::POST, "/v1/checkout", Some(&token), &key, request)
            .await?;
        if status != StatusCode::CREATED {
            // Sold out or over a limit: a real shop has those too.
            eprintln!(
                "demo: buyer {b}'s checkout answered {status}: {}",
                placed["title"]
            );
            return Ok(NOTHING);
        }
        self.pay_and_ship(b, &placed, &token).await
    }

    /// The checkout's body, with shipping quoted when the command API ships; `Err` with the
    /// buyer's outcome when there is nothing to check out.
    async fn checkout_request(
        &self,
        b: usize,
        name: &str,
        token: &str,
    ) -> anyhow::Result<Result<Value, Outcome>> {
        let (city, postal_code, search) = CITIES[b % CITIES.len()];
        let mut address = json!({
            "recipient": name, "phone": format!("0812{:08}", 10_000_000 + b),
            "address": format!("Jl. Merdeka No. {}", 1 + b % 99),
            "city": city, "postal_code": postal_code,
        });
        if !self.ships {
            return Ok(Ok(json!({ "shipping_address": address })));
        }
        // Destinations → quotes → checkout with the cheapest service per seller.
        let Some(destination) = self.api.location(token, search).await? else {
            return Ok(Err(NOTHING));
        };
        let shipments = match self.api.cheapest_shipments(token, destination).await? {
            Ok(shipments) => shipments,
            // An earlier run checked this cart out (its quotes cannot be asked for again, so
            // neither can its checkout be replayed): report what that run did, by the same rules.
            Err(title) if title == "Cart is empty" => return Ok(Err(self.earlier_run(b))),
            Err(title) => {
                eprintln!("demo: buyer {b}'s quotes were refused: {title}");
                return Ok(Err(NOTHING));
            }
        };
        address["destination_id"] = json!(destination);
        Ok(Ok(
            json!({ "shipping_address": address, "shipments": shipments }),
        ))
    }

    /// What an earlier run did for buyer `b` (the rules of [`Shop::pay_and_ship`]).
    fn earlier_run(&self, b: usize) -> Outcome {
        let paid = self.target.midtrans_sim_url.is_some() && b % 4 != 3;
        let sellers: BTreeSet<usize> = (0..(1 + b % 3)).map(|line| self.line(b, line).2).collect();
        let shipped = if paid && b.is_multiple_of(2) {
            sellers.len()
        } else {
            0
        };
        (
            true,
            usize::from(paid),
            shipped,
            usize::from(shipped > 0 && b.is_multiple_of(4)),
        )
    }

    /// Pays three checkouts in four through the simulator, and ships every other paid one.
    async fn pay_and_ship(&self, b: usize, placed: &Value, token: &str) -> anyhow::Result<Outcome> {
        let (Some(sim), true) = (&self.target.midtrans_sim_url, b % 4 != 3) else {
            return Ok((true, 0, 0, 0));
        };
        let payment = placed["payment"]["id"].as_str().context("payment id")?;
        let url = format!("{sim}/_sim/transactions/{payment}/pay");
        // Already paid (a second run) answers an error: the order is paid all the same.
        let _ = self.api.http.post(url).send().await?.status();
        let mut shipped = 0;
        if b.is_multiple_of(2) {
            for order in placed["orders"].as_array().into_iter().flatten() {
                let order_id = order["id"].as_str().context("order id")?;
                let seller_id = order["seller_id"].as_str().unwrap_or_default();
                let Some((_, seller)) = self.sellers.iter().find(|(id, _)| id == seller_id) else {
                    continue;
                };
                if ship(self.api, order_id, seller, b).await? {
                    shipped += 1;
                }
            }
        }
        let reviewed = if shipped > 0 && b.is_multiple_of(4) {
            usize::from(self.review(b, placed, token).await?)
        } else {
            0
        };
        Ok((true, 1, shipped, reviewed))
    }

    /// Every fourth shipping buyer's orders are delivered (by the admin, as a courier's feed
    /// would), and the buyer reviews the first line's product; the admin approves it.
    async fn review(&self, b: usize, placed: &Value, token: &str) -> anyhow::Result<bool> {
        for order in placed["orders"].as_array().into_iter().flatten() {
            let order_id = order["id"].as_str().context("order id")?;
            let path = format!("/v1/orders/{order_id}/delivery");
            let key = format!("demo-deliver-{order_id}");
            let (status, answer) = self
                .api
                .keyed(Method::POST, &path, Some(self.admin), &key, json!({}))
                .await?;
            // A second run finds it delivered already (409 naming the state).
            if !status.is_success() && answer["order_status"] != "delivered" {
                eprintln!("demo: delivering {order_id} answered {status}: {answer}");
                return Ok(false);
            }
        }
        let (_, product_id, _) = self.line(b, 0);
        let (title, body) = PRAISE[b / 4 % PRAISE.len()];
        let review = json!({ "rating": 4 + b / 4 % 2, "title": title, "body": body });
        let path = format!("/v1/products/{product_id}/reviews");
        let key = format!("demo-review-{b}");
        let (status, answer) = self
            .api
            .keyed(Method::POST, &path, Some(token), &key, review)
            .await?;
        if !status.is_success() {
            eprintln!("demo: buyer {b}'s review answered {status}: {answer}");
            return Ok(false);
        }
        let id = answer["id"].as_str().context("review id")?;
        let path = format!("/v1/reviews/{id}/approve");
        let key = format!("demo-approve-{id}");
        self.api
            .ok(Method::POST, &path, Some(self.admin), &key, json!({}))
            .await?;
        Ok(true)
    }
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
