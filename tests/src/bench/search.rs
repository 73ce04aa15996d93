//! `pasar-bench search`: the query API's own search index over a generated catalog of
//! realistic Indonesian products (names, brands, categories, units), appended straight to
//! the log like the catch-up benchmark does. Measures, against the release binaries:
//! indexing from the log (a query API started on an empty index catches up), query latency
//! at 1 client (exact, prefix, typo, filtered + faceted), throughput at 16 clients, suggest
//! latency, stock change → visible in search, and the query API's RSS with the index loaded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::stack::Stack;

mod settle;

use settle::settle;

/// Products, brands, categories and variants the generator combines (a product is a type,
/// a variant, a colour or size, and a brand that sells that type).
const GENERATE: &str = "
WITH types(t, name, category, brands, lo, hi) AS (VALUES
  (0, 'Sepatu Lari', 'Sepatu', ARRAY['Nike','Adidas','Ortuseight','Specs','League'], 250000, 1500000),
  (1, 'Kemeja Batik', 'Pakaian Pria', ARRAY['Batik Keris','Danar Hadi','Batik Semar','Alisan'], 90000, 600000),
  (2, 'Kaos Polos', 'Pakaian Pria', ARRAY['Erigo','Uniqlo','Cottonology','3Second'], 35000, 150000),
  (3, 'HP Samsung Galaxy', 'Handphone', ARRAY['Samsung'], 1500000, 15000000),
  (4, 'HP Xiaomi Redmi', 'Handphone', ARRAY['Xiaomi'], 1200000, 6000000),
  (5, 'Tas Ransel', 'Tas', ARRAY['Eiger','Consina','Bodypack','Exsport'], 120000, 900000),
  (6, 'Celana Jeans', 'Pakaian Pria', ARRAY['Levis','Lea','Cardinal'], 150000, 800000),
  (7, 'Jam Tangan', 'Aksesoris', ARRAY['Casio','Alexandre Christie','Seiko'], 200000, 3000000),
  (8, 'Kopi Arabika Gayo', 'Makanan & Minuman', ARRAY['Kapal Api','Toraja Coffee','Otten'], 45000, 250000),
  (9, 'Madu Hutan', 'Makanan & Minuman', ARRAY['Madu TJ','Nusantara Honey'], 60000, 300000),
  (10, 'Rice Cooker', 'Elektronik Rumah', ARRAY['Miyako','Cosmos','Philips','Yong Ma'], 180000, 1200000),
  (11, 'Blender', 'Elektronik Rumah', ARRAY['Philips','Miyako','Maspion'], 150000, 900000),
  (12, 'Kipas Angin', 'Elektronik Rumah', ARRAY['Maspion','Cosmos','Panasonic'], 120000, 700000),
  (13, 'Keripik Singkong Pedas', 'Makanan & Minuman', ARRAY['Maicih','Kusuka'], 12000, 60000),
  (14, 'Hijab Segi Empat', 'Pakaian Wanita', ARRAY['Zoya','Elzatta','Rabbani'], 40000, 250000),
  (15, 'Mukena Katun', 'Pakaian Wanita', ARRAY['Siti Khadijah','Rabbani'], 150000, 700000),
  (16, 'Sarung Tenun', 'Pakaian Pria', ARRAY['Wadimor','Atlas','BHS'], 60000, 500000),
  (17, 'Sandal Jepit', 'Sepatu', ARRAY['Swallow','Eiger','Fipper'], 15000, 120000),
  (18, 'Panci Set', 'Dapur', ARRAY['Maspion','Oxone','Kirin'], 150000, 900000),
  (19, 'Kue Kering Nastar', 'Makanan & Minuman', ARRAY['Dapur Cokelat','Kue Bunda'], 50000, 200000),
  (20, 'Skincare Serum Wajah', 'Kecantikan', ARRAY['Wardah','Somethinc','Scarlett','Avoskin'], 50000, 300000),
  (21, 'Headset Bluetooth', 'Elektronik', ARRAY['JBL','Xiaomi','Robot','Sony'], 80000, 2000000),
  (22, 'Powerbank 10000mAh', 'Elektronik', ARRAY['Anker','Robot','Xiaomi','Vivan'], 100000, 500000),
  (23, 'Sambal Bawang', 'Makanan & Minuman', ARRAY['Bu Rudy','Sambal Roa'], 20000, 80000)
), variants(v, text) AS (VALUES
  (0,'Pria'),(1,'Wanita'),(2,'Anak'),(3,'Lengan Panjang'),(4,'Premium'),(5,'Original'),
  (6,'250 g'),(7,'1kg'),(8,'128GB'),(9,'Murah'),(10,'Import'),(11,'Jumbo')
), colours(c, text) AS (VALUES
  (0,'Hitam'),(1,'Putih'),(2,'Merah'),(3,'Biru Navy'),(4,'Hijau Army'),(5,'Abu-abu'),(6,'Cokelat'),(7,'Krem')
), plan AS (
  SELECT p, md5('product' || p)::uuid AS product, ty.*, va.text AS variant, co.text AS colour,
         ty.brands[1 + (p / 7) % array_length(ty.brands, 1)] AS brand
  FROM generate_series(1, $1::int) p
  JOIN types ty ON ty.t = p % 24
  JOIN variants va ON va.v = (p / 24) % 12
  JOIN colours co ON co.c = (p / 288) % 8
), rows AS (
  SELECT 'product-' || product AS stream_id, 'ProductListed' AS event_type, 2 AS schema_version, p, 0 AS k,
    jsonb_build_object('product_id', product, 'seller_id', md5('seller' || p % 300)::uuid,
      'sku', 'GEN-' || p, 'name', name || ' ' || variant || ' ' || colour || ' ' || brand,
      'description', name || ' ' || lower(variant) || ' warna ' || lower(colour) || ' dari ' || brand
          || ', kualitas terjamin, kirim cepat dari ' || (ARRAY['Jakarta','Bandung','Surabaya','Medan','Yogyakarta'])[1 + p % 5],
      'price', jsonb_build_object('amount', lo + ((p * 7919) % (hi - lo)) / 1000 * 1000, 'currency', 'IDR'),
      'category_id', md5('category' || category)::uuid, 'brand', brand, 'weight_grams', 100 + p % 900,
      'condition', (ARRAY['new','new','new','used','refurbished'])[1 + p % 5],
      'listed_at', to_char(timestamp '2026-01-01' + p * interval '1 minute', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) AS data
  FROM plan
  UNION ALL
  SELECT 'stock-' || product, 'StockReceived', 1, p, 1,
    jsonb_build_object('quantity', p % 40, 'on_hand', p % 40, 'available', p % 40)
  FROM plan WHERE p % 40 <> 0
)
INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
SELECT stream_id, 1, gen_random_uuid(), event_type, schema_version, data, '{}'::jsonb
FROM rows ORDER BY p, k";

/// Queries per kind; a run cycles through them.
const EXACT: &[&str] = &[
    "q=sepatu+lari+pria",
    "q=kemeja+batik+lengan+panjang",
    "q=rice+cooker+miyako",
    "q=kopi+arabika+gayo",
];
const PREFIX: &[&str] = &["q=sepatu+la", "q=kemeja+bat", "q=tas+rans", "q=madu+hut"];
const TYPO: &[&str] = &[
    "q=sepatu+lsri",
    "q=kemeja+batk",
    "q=blendre+philips",
    "q=powerbnak",
];
const FILTERED: &[&str] = &[
    "q=sepatu&brand=nike&min_price=300000&max_price=900000&in_stock=true",
    "q=kaos+polos&condition=new&max_price=100000&sort=price_asc",
    "q=hp+samsung&min_price=2000000&in_stock=true&sort=price_desc",
    "q=kopi&in_stock=true&condition=new",
];
const SUGGEST: &[&str] = &[
    "sep", "kem", "hp s", "kopi a", "tas", "rice c", "hij", "sambal b",
];

pub struct Report {
    pub products: usize,
    pub events: i64,
    pub indexing: Duration,
    pub kinds: Vec<(&'static str, Latency)>,
    pub throughput: f64,
    pub throughput_errors: u64,
    pub visible: Latency,
    /// The query API's VmRSS, and its parts: anonymous memory (heap) and mapped files (the
    /// index's segments, which the kernel may drop and read again).
    pub rss_kib: u64,
    pub rss_anon_kib: u64,
    pub rss_file_kib: u64,
    pub total_sepatu: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub n: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

fn latency(mut samples: Vec<Duration>) -> Latency {
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Latency {
        n: samples.len(),
        p50_ms: at(0.50),
        p95_ms: at(0.95),
        p99_ms: at(0.99),
    }
}

/// Runs everything on a stack of its own; `products` generated, `seconds` per measurement.
pub async fn run(products: usize, seconds: Duration) -> anyhow::Result<Report> {
    let mut stack =
        Stack::start_with(&[("RUST_LOG", "error"), ("CONSISTENCY_WAIT_MS", "600000")]).await?;
    // Only the query API and the command API matter here; the projector would compete for
    // the two cores while the index is built.
    stack.stop("projector");
    stack.kill("query-api");
    let events = generate(&stack, products).await?;
    // A listing through the command API after the generated log: its token covers it all.
    let (_, seller) = stack.register("seller").await;
    let (_, token) = list(&stack, &seller, "Penanda Akhir Katalog", 1000).await;
    // The command API's reactors read the generated log too: let them finish first, so
    // that the query API's indexing is measured alone.
    settle(&stack).await?;

    // Indexing: a query API on an empty index directory catches up from the log.
    let _ = std::fs::remove_dir_all(&stack.search_index_dir);
    let started = Instant::now();
    stack.restart("query-api").await?;
    let (status, body) = stack
        .query("/v1/search?q=penanda", None, Some(&token))
        .await;
    let indexing = started.elapsed();
    anyhow::ensure!(
        status == StatusCode::OK,
        "indexing did not finish: {status} {body}"
    );
    eprintln!("indexed {products} products ({events} events) in {indexing:.1?}");

    let mut kinds = Vec::new();
    for (kind, queries) in [
        ("exact", EXACT),
        ("prefix", PREFIX),
        ("typo", TYPO),
        ("filtered + faceted", FILTERED),
    ] {
        kinds.push((
            kind,
            one_client(&stack, "/v1/search?", queries, seconds).await?,
        ));
    }
    kinds.push((
        "suggest",
        one_client(&stack, "/v1/search/suggest?q=", SUGGEST, seconds).await?,
    ));
    let all: Vec<&str> = [EXACT, PREFIX, TYPO, FILTERED].concat();
    let (throughput, throughput_errors) = clients(&stack, 16, &all, seconds).await;
    // 200 samples in the full run, fewer in the short form.
    let visible = stock_visible(&stack, &seller, (products / 50).clamp(20, 200)).await?;
    let (_, body) = stack.query("/v1/search?q=sepatu&limit=1", None, None).await;
    let pid = stack.pid("query-api");
    let rss = |field| {
        pid.and_then(|pid| super::logins::proc_status_kib(pid, field))
            .unwrap_or(0)
    };
    let (rss_kib, rss_anon_kib, rss_file_kib) = (rss("VmRSS"), rss("RssAnon"), rss("RssFile"));
    Ok(Report {
        products,
        events,
        indexing,
        kinds,
        throughput,
        throughput_errors,
        visible,
        rss_kib,
        rss_anon_kib,
        rss_file_kib,
        total_sepatu: body["total"].as_u64().unwrap_or(0),
    })
}

async fn generate(stack: &Stack, products: usize) -> anyhow::Result<i64> {
    let (client, connection) =
        tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client.batch_execute("SET statement_timeout = 0").await?;
    let started = Instant::now();
    let events = client.execute(GENERATE, &[&(products as i32)]).await? as i64;
    eprintln!("generated {events} events in {:.1?}", started.elapsed());
    Ok(events)
}

async fn list(stack: &Stack, seller: &str, name: &str, price: i64) -> (Uuid, String) {
    let body = json!({"sku": format!("B-{}", &Uuid::new_v4().simple().to_string()[..12]), "name": name, "description": "produk uji", "price": price, "weight_grams": 100});
    let (status, answer, token) = stack
        .command(Method::POST, "/v1/products", Some(seller), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    (
        answer["id"].as_str().unwrap().parse().unwrap(),
        token.unwrap_or_default(),
    )
}

/// One client sending `queries` in turn for `duration`.
async fn one_client(
    stack: &Stack,
    prefix: &str,
    queries: &[&str],
    duration: Duration,
) -> anyhow::Result<Latency> {
    let mut samples = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < duration {
        let url = format!("{}{prefix}{}", stack.query_url, queries[i % queries.len()]);
        i += 1;
        let sent = Instant::now();
        let response = stack.http.get(url).send().await?;
        anyhow::ensure!(response.status().is_success(), "{}", response.status());
        response.bytes().await?;
        samples.push(sent.elapsed());
    }
    Ok(latency(samples))
}

/// Queries per second from `n` clients, each sending the next query when answered.
async fn clients(stack: &Stack, n: usize, queries: &[&str], duration: Duration) -> (f64, u64) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let queries: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|q| format!("{}/v1/search?{q}", stack.query_url))
            .collect(),
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|c| {
            let (http, done, errors, queries) = (
                stack.http.clone(),
                done.clone(),
                errors.clone(),
                queries.clone(),
            );
            tokio::spawn(async move {
                let mut i = c;
                while started.elapsed() < duration {
                    let ok = match http.get(&queries[i % queries.len()]).send().await {
                        Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                        Err(_) => false,
                    };
                    i += 1;
                    if ok { &done } else { &errors }.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    (
        done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64(),
        errors.load(Ordering::Relaxed),
    )
}

/// Stock receipts on products of `seller`; from each command's answer until a search
/// without a token shows the new `available`.
async fn stock_visible(stack: &Stack, seller: &str, samples: usize) -> anyhow::Result<Latency> {
    let mut products = Vec::new();
    for i in 0..20 {
        products.push(list(stack, seller, &format!("Barang Stok Uji {i}"), 5000 + i).await);
    }
    let mut available = vec![0i64; products.len()];
    let mut out = Vec::new();
    for n in 0..samples {
        let which = n % products.len();
        let (product, name_token) = &products[which];
        let _ = name_token;
        let (status, body, _) = stack
            .command(
                Method::POST,
                &format!("/v1/inventory/{product}/receipts"),
                Some(seller),
                Some(json!({"quantity": 1})),
            )
            .await;
        anyhow::ensure!(status == StatusCode::CREATED, "receipt: {status} {body}");
        let answered = Instant::now();
        available[which] += 1;
        let url = format!(
            "{}/v1/search?q=barang+stok+uji+{which}&limit=1",
            stack.query_url
        );
        loop {
            let body: Value = stack.http.get(&url).send().await?.json().await?;
            if body["hits"][0]["id"] == json!(product)
                && body["hits"][0]["available"] == json!(available[which])
            {
                break;
            }
            anyhow::ensure!(
                answered.elapsed() < Duration::from_secs(10),
                "never visible: {body}"
            );
        }
        out.push(answered.elapsed());
    }
    Ok(latency(out))
}

pub fn print(r: &Report) {
    println!(
        "\n## Search ({} products, {} log events; the query API's own index)\n",
        r.products, r.events
    );
    println!("| measure | figure | goal |");
    println!("|---|---:|---|");
    println!(
        "| indexing from the log (query API started on an empty index → caught up) | {:.1} s = {:.0} products/s | ≥ 20,000 products/s |",
        r.indexing.as_secs_f64(),
        r.products as f64 / r.indexing.as_secs_f64()
    );
    for (kind, l) in &r.kinds {
        let goal = if *kind == "suggest" {
            "p95 ≤ 5 ms"
        } else {
            "p95 ≤ 10 ms"
        };
        println!(
            "| {kind}, 1 client ({} queries) | p50 {:.2} ms, p95 {:.2} ms | {goal} |",
            l.n, l.p50_ms, l.p95_ms
        );
    }
    println!(
        "| mixed queries, 16 clients | {:.0} queries/s ({} errors) | ≥ 1,000 queries/s |",
        r.throughput, r.throughput_errors
    );
    println!(
        "| stock receipt answered → visible in search ({} samples) | p50 {:.1} ms, p99 {:.1} ms | p99 < 100 ms |",
        r.visible.n, r.visible.p50_ms, r.visible.p99_ms
    );
    println!(
        "| query API RSS with the index loaded | {} MB ({} MB heap, {} MB mapped index files) | — |",
        r.rss_kib / 1024,
        r.rss_anon_kib / 1024,
        r.rss_file_kib / 1024
    );
    println!("\n(`q=sepatu` matches {} products.)", r.total_sepatu);
}
