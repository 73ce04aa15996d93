//! Query API product list throughput: filtered listings in each sort order, each client
//! following `next_cursor` to the last page and then starting the next listing.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::load::{self, Connection, Load};
use crate::stack::Stack;

const BRANDS: [&str; 5] = ["Gayo", "Kapal Api", "Batik Keris", "Eiger", "Polytron"];

/// The listings the clients page through, each a class of the run.
pub const LISTINGS: [&str; 3] = [
    "category subtree, price ascending",
    "price range, newest first",
    "brand and in stock, price descending",
];

/// A catalog to list: `n` products by one seller, a quarter without stock, spread over a
/// category tree (a root with two subcategories, and another root) and five brands.
pub struct Catalog {
    /// The root whose subtree the category listing reads.
    pub parent: Uuid,
    pub products: Vec<Uuid>,
    /// The seller's token.
    pub seller: String,
}

/// Lists the catalog 16 products at a time and waits until the query API shows all of it.
pub async fn seed(stack: &Arc<Stack>, n: usize) -> anyhow::Result<Catalog> {
    let admin = stack.admin_token().await;
    let mut categories = Vec::new();
    let parent = category(stack, &admin, "Makanan", None).await?;
    for (name, under) in [
        ("Kopi", Some(parent)),
        ("Teh", Some(parent)),
        ("Pakaian", None),
    ] {
        categories.push(category(stack, &admin, name, under).await?);
    }
    let (_, seller) = stack.register("seller").await;
    let mut products = Vec::new();
    let mut token = None;
    for chunk in (0..n).collect::<Vec<_>>().chunks(16) {
        let listed = chunk.iter().map(|&i| {
            let (stack, seller) = (Arc::clone(stack), seller.clone());
            let category = categories[i % categories.len()];
            async move { list_one(&stack, &seller, i, category).await }
        });
        for result in futures::future::join_all(listed).await {
            let (id, t) = result?;
            products.push(id);
            token = t.or(token);
        }
    }
    let (status, body) = stack
        .query("/v1/products?limit=1", None, token.as_deref())
        .await;
    anyhow::ensure!(
        status == StatusCode::OK,
        "catalog not visible: {status} {body}"
    );
    Ok(Catalog {
        parent,
        products,
        seller,
    })
}

async fn category(
    stack: &Stack,
    admin: &str,
    name: &str,
    parent: Option<Uuid>,
) -> anyhow::Result<Uuid> {
    let body = json!({ "name": format!("{name} {}", &Uuid::new_v4().simple().to_string()[..6]), "parent_id": parent });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/categories", Some(admin), Some(body))
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "category: {status} {body}");
    Ok(body["id"].as_str().unwrap_or_default().parse()?)
}

/// Lists product `i` (and receives stock for three in four): its id and the last token.
async fn list_one(
    stack: &Stack,
    seller: &str,
    i: usize,
    category: Uuid,
) -> anyhow::Result<(Uuid, Option<String>)> {
    let sku = format!("L-{i}-{}", &Uuid::new_v4().simple().to_string()[..8]);
    // Prices spread over 10,000 to 1,000,000 rupiah, in no order of listing.
    let price = 10_000 + (i as i64 * 7_919) % 990_000;
    let body = json!({ "sku": sku, "name": format!("Produk {i}"), "price": price, "weight_grams": 250,
                       "brand": BRANDS[i % BRANDS.len()], "category_id": category });
    let (status, body, token) = stack
        .command(Method::POST, "/v1/products", Some(seller), Some(body))
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "list: {status} {body}");
    let id: Uuid = body["id"].as_str().unwrap_or_default().parse()?;
    if i % 4 == 3 {
        return Ok((id, token));
    }
    let path = format!("/v1/inventory/{id}/receipts");
    let (status, body, token) = stack
        .command(
            Method::POST,
            &path,
            Some(seller),
            Some(json!({ "quantity": 100 })),
        )
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "receive: {status} {body}");
    Ok((id, token))
}

/// A client paging through the listings in turn.
struct Lister {
    /// The first page's URL of each listing.
    firsts: Vec<String>,
    listing: usize,
    cursor: Option<String>,
}

impl Connection for Lister {
    async fn next(&mut self, http: &reqwest::Client) -> (usize, Result<(), String>) {
        let class = self.listing;
        let mut request = http.get(&self.firsts[class]);
        if let Some(cursor) = &self.cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let answer = load::answer(request, StatusCode::OK).await;
        self.cursor = answer.as_deref().ok().and_then(next_cursor);
        if self.cursor.is_none() {
            self.listing = (self.listing + 1) % self.firsts.len();
        }
        (class, answer.map(drop))
    }
}

/// The page's `next_cursor`, found without parsing the page (the client shares the cores
/// with the services it measures).
fn next_cursor(page: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"next_cursor\":\"";
    let at = page.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let len = page[at..].iter().position(|&b| b == b'"')?;
    String::from_utf8(page[at..at + len].to_vec()).ok()
}

/// `connections` clients paging through the [`LISTINGS`] of `catalog` for `duration`.
pub async fn run(stack: &Stack, catalog: &Catalog, connections: usize, duration: Duration) -> Load {
    let base = format!("{}/v1/products?limit=20", stack.query_url);
    let firsts = vec![
        format!("{base}&category={}&sort=price_asc", catalog.parent),
        format!("{base}&min_price=100000&max_price=600000&sort=newest"),
        format!("{base}&brand=gayo&in_stock=true&sort=price_desc"),
    ];
    let clients = (0..connections)
        .map(|i| Lister {
            firsts: firsts.clone(),
            listing: i % LISTINGS.len(),
            cursor: None,
        })
        .collect();
    load::run(clients, &LISTINGS, duration).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_cursor_is_found_in_a_page() {
        let page = br#"{"items":[{"name":"a \"next_cursor\""}],"next_cursor":"eyJrIjoi"}"#;
        assert_eq!(next_cursor(page).as_deref(), Some("eyJrIjoi"));
        assert_eq!(next_cursor(br#"{"items":[],"next_cursor":null}"#), None);
    }
}
