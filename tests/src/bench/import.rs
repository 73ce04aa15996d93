//! CSV product import throughput: a seller imports a generated file of `rows` products (with
//! stock) through `POST /v1/products/import`, timed from the request until
//! `GET /v1/imports/{id}` reads `done`; then the same file again (every line `unchanged`).
//! The helpers here are also what the end-to-end import tests send files with.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use uuid::Uuid;

use crate::stack::Stack;

/// The header of an import file.
pub const HEADER: &str =
    "sku,name,description,price,weight_grams,brand,condition,category_id,stock";

const NAMES: [(&str, &str, i64, i64); 8] = [
    ("Kopi Arabika Gayo", "Gayo", 75_000, 250),
    ("Teh Melati Tubruk", "Sariwangi", 12_500, 100),
    ("Sambal Bawang", "Bu Rudy", 38_000, 200),
    ("Kemeja Batik Lengan Panjang", "Batik Keris", 245_000, 300),
    ("Beras Pandan Wangi 5 kg", "Cianjur", 89_000, 5_000),
    ("Sepatu Lari", "Ortuseight", 429_000, 800),
    ("Madu Hutan", "Madu Baduy", 120_000, 650),
    ("Keripik Singkong Balado", "Maicih", 18_000, 150),
];

/// A file of `rows` products whose SKUs start with `prefix`, each with stock.
pub fn generated_file(prefix: &str, rows: usize) -> String {
    let mut file = format!("{HEADER}\n");
    for i in 0..rows {
        let (name, brand, price, weight) = NAMES[i % NAMES.len()];
        let stock = 5 + i % 50;
        let condition = if i % 10 == 0 { "used" } else { "new" };
        file.push_str(&format!(
            "{prefix}-{i:05},{name} #{i},\"{name}, asli Indonesia\",{},{weight},{brand},{condition},,{stock}\n",
            price + (i as i64 % 7) * 500
        ));
    }
    file
}

/// Sends `body` to `POST /v1/products/import` as `content_type`; (status, JSON body).
pub async fn post(
    stack: &Stack,
    token: Option<&str>,
    body: Vec<u8>,
    content_type: &str,
    idempotency_key: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = stack
        .http
        .request(
            Method::POST,
            format!("{}/v1/products/import", stack.command_url),
        )
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = idempotency_key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Polls `GET /v1/imports/{id}` (as `token`, honouring the import's consistency token) until
/// it reads `done`, for at most `within`; then the report with its first 1,000 lines. The
/// polls ask for one line only, as a client showing progress would: fifty polls a second
/// for 1,000 lines each would load the machine the import is measured on.
pub async fn until_done(
    stack: &Stack,
    token: &str,
    accepted: &Value,
    within: Duration,
) -> anyhow::Result<Value> {
    let id = accepted["import_id"].as_str().unwrap_or_default();
    let consistency = accepted["consistency_token"].as_str();
    let path = format!("/v1/imports/{id}?limit=1");
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = stack.query(&path, Some(token), consistency).await;
        if status == StatusCode::OK && body["status"] == "done" {
            let report = format!("/v1/imports/{id}?limit=1000");
            let (status, body) = stack.query(&report, Some(token), consistency).await;
            anyhow::ensure!(status == StatusCode::OK, "import {id}: {status} {body}");
            return Ok(body);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "import {id} not done within {within:?}: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct ImportRun {
    pub rows: usize,
    pub first: Duration,
    pub first_counts: Value,
    pub again: Duration,
    pub again_counts: Value,
}

impl ImportRun {
    pub fn rows_per_second(&self, took: Duration) -> f64 {
        self.rows as f64 / took.as_secs_f64()
    }
}

/// Imports a generated file of `rows` products on a fresh stack, then the same file again.
pub async fn run(rows: usize) -> anyhow::Result<ImportRun> {
    let stack = Stack::start_with(&[("RUST_LOG", "error")]).await?;
    let (_, seller) = stack.register("seller").await;
    let prefix = format!("B{}", &Uuid::new_v4().simple().to_string()[..6]);
    let file = generated_file(&prefix, rows);
    let within = Duration::from_secs(600);
    let mut timed = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let (status, accepted) = post(
            &stack,
            Some(&seller),
            file.clone().into_bytes(),
            "text/csv",
            None,
        )
        .await;
        anyhow::ensure!(
            status == StatusCode::ACCEPTED,
            "import refused: {status} {accepted}"
        );
        let done = until_done(&stack, &seller, &accepted, within).await?;
        timed.push((started.elapsed(), done["counts"].clone()));
    }
    let (again, again_counts) = timed.pop().unwrap_or_default();
    let (first, first_counts) = timed.pop().unwrap_or_default();
    Ok(ImportRun {
        rows,
        first,
        first_counts,
        again,
        again_counts,
    })
}

pub fn print(run: &ImportRun) {
    println!(
        "\n## CSV import ({} rows with stock, release build)\n",
        run.rows
    );
    println!("| run | took | rows/s | goal | counts |");
    println!("|---|---|---|---|---|");
    for (label, took, counts) in [
        ("first (creates)", run.first, &run.first_counts),
        ("same file again (unchanged)", run.again, &run.again_counts),
    ] {
        let rate = run.rows_per_second(took);
        let met = if rate >= 2_000.0 { "met" } else { "not met" };
        println!(
            "| {label} | {:.2} s | {rate:.0} | ≥ 2,000 rows/s: {met} | {counts} |",
            took.as_secs_f64()
        );
    }
}
