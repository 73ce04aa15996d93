//! Search benchmark: `cargo run --release -p pasar-search --example bench [products]`.
//!
//! Generates a catalog (100,000 products by default) with Indonesian names, brands and
//! categories, builds an on-disk index from its events, and prints the build rate, query
//! latencies at one client, throughput at 16 threads, suggest latency, the latency of one
//! small apply (commit + reload: how soon a change is searchable) and the process RSS.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use pasar_events::types::{DomainEvent, Money, ProductCondition, ProductEvent, StockEvent};
use pasar_events::{Metadata, Position, RecordedEvent};
use pasar_search::{SearchIndex, SearchRequest};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const KINDS: &[(&str, &str)] = &[
    ("Sepatu Lari", "sepatu"),
    ("Sepatu Sekolah", "sepatu"),
    ("Sepatu Futsal", "sepatu"),
    ("Sandal Jepit", "sepatu"),
    ("Sneakers", "sepatu"),
    ("Kemeja Batik", "pakaian"),
    ("Kemeja Flanel", "pakaian"),
    ("Kaos Polos", "pakaian"),
    ("Celana Jeans", "pakaian"),
    ("Celana Chino", "pakaian"),
    ("Jaket Hoodie", "pakaian"),
    ("Gamis", "pakaian"),
    ("Hijab Segi Empat", "pakaian"),
    ("HP", "handphone"),
    ("Smartphone", "handphone"),
    ("Charger", "aksesoris"),
    ("Casing", "aksesoris"),
    ("Powerbank", "aksesoris"),
    ("Laptop", "komputer"),
    ("Mouse Wireless", "komputer"),
    ("Keyboard Mekanik", "komputer"),
    ("Kopi Bubuk", "minuman"),
    ("Teh Celup", "minuman"),
    ("Susu UHT", "minuman"),
    ("Beras", "makanan"),
    ("Minyak Goreng", "makanan"),
    ("Kue Kering", "makanan"),
    ("Keripik Singkong", "makanan"),
    ("Sambal", "makanan"),
    ("Sabun Mandi", "kecantikan"),
    ("Shampo", "kecantikan"),
    ("Serum Wajah", "kecantikan"),
    ("Lipstik", "kecantikan"),
    ("Tas Ransel", "tas"),
    ("Tas Selempang", "tas"),
    ("Dompet", "tas"),
    ("Panci", "rumah"),
    ("Wajan", "rumah"),
    ("Rice Cooker", "rumah"),
    ("Kipas Angin", "rumah"),
    ("Raket Badminton", "olahraga"),
    ("Matras Yoga", "olahraga"),
    ("Sepeda Lipat", "olahraga"),
];
const BRANDS: &[&str] = &[
    "Samsung",
    "Xiaomi",
    "Oppo",
    "Apple",
    "Asus",
    "Lenovo",
    "Nike",
    "Adidas",
    "Eiger",
    "Erigo",
    "Batik Keris",
    "Wardah",
    "Kapal Api",
    "Indomie",
    "Philips",
    "Miyako",
    "Oxone",
    "Yonex",
    "Polygon",
    "Bucheri",
    "Zoya",
    "Elzatta",
    "Uniqlo",
    "Specs",
    "Ventela",
    "Logitech",
    "Anker",
];
const MODIFIERS: &[&str] = &[
    "Pria",
    "Wanita",
    "Anak",
    "Hitam",
    "Putih",
    "Merah",
    "Biru",
    "Premium",
    "Original",
    "Lengan Panjang",
    "Lengan Pendek",
    "Murah",
    "Anti Air",
    "Tahan Lama",
    "Motif Bunga",
    "Polos",
    "Jumbo",
    "Mini",
    "Import",
    "Lokal",
];
const UNITS: &[&str] = &[
    "128GB", "64 GB", "250g", "500 gram", "1 Liter", "5kg", "20 Inch", "12 Pcs", "",
];
const WORDS: &[&str] = &[
    "bahan",
    "nyaman",
    "ringan",
    "kuat",
    "cocok",
    "untuk",
    "sehari",
    "hari",
    "garansi",
    "resmi",
    "pengiriman",
    "cepat",
    "kualitas",
    "terbaik",
    "harga",
    "grosir",
    "ukuran",
    "lengkap",
];

fn product_events(n: usize, rng: &mut StdRng, out: &mut Vec<RecordedEvent>) {
    let (kind, category) = KINDS[rng.gen_range(0..KINDS.len())];
    let brand = BRANDS[rng.gen_range(0..BRANDS.len())];
    let modifier = MODIFIERS[rng.gen_range(0..MODIFIERS.len())];
    let unit = UNITS[rng.gen_range(0..UNITS.len())];
    let name = format!("{kind} {brand} {modifier} {unit}")
        .trim()
        .to_owned();
    let description: Vec<&str> = (0..25)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect();
    let id = Uuid::from_u128(n as u128 + 1);
    let listed = ProductEvent::ProductListed {
        product_id: id,
        seller_id: Uuid::from_u128(rng.gen_range(1..500)),
        sku: format!("SKU-{n}"),
        name: name.clone(),
        description: format!("{name}. {}", description.join(" ")),
        price: Money::idr(rng.gen_range(5..5_000) * 1_000),
        category_id: Some(Uuid::new_v5(&Uuid::NAMESPACE_OID, category.as_bytes())),
        brand: Some(brand.to_owned()),
        weight_grams: 500,
        condition: if n.is_multiple_of(10) {
            ProductCondition::Used
        } else {
            ProductCondition::New
        },
        listed_at: Utc.timestamp_opt(1_700_000_000 + n as i64, 0).unwrap(),
    };
    let available = rng.gen_range(0..50);
    let stock = StockEvent::StockReceived {
        quantity: available,
        on_hand: available,
        available,
    };
    push(out, format!("product-{id}"), 1, &listed);
    push(out, format!("stock-{id}"), 1, &stock);
}

fn push<E: DomainEvent>(out: &mut Vec<RecordedEvent>, stream: String, version: i64, e: &E) {
    let global = out.len() as i64 + 1;
    out.push(RecordedEvent {
        event_id: Uuid::from_u128(global as u128),
        stream,
        stream_version: version,
        position: Position { txid: 1, global },
        event_type: e.event_type(),
        schema_version: pasar_events::upcast::current_version(&e.event_type()),
        data: e.to_data(),
        metadata: Metadata::default(),
        recorded_at: Utc::now(),
    });
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.50);
    let p95 = percentile(samples, 0.95);
    let p99 = percentile(samples, 0.99);
    println!(
        "{label:<28} p50 {p50:>9.2?}  p95 {p95:>9.2?}  p99 {p99:>9.2?}  (n={})",
        samples.len()
    );
}

fn time_queries(index: &SearchIndex, requests: &[SearchRequest], rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for _ in 0..rounds {
        for r in requests {
            let start = Instant::now();
            let results = index.search(r).expect("search");
            samples.push(start.elapsed());
            std::hint::black_box(results);
        }
    }
    samples
}

fn requests(texts: &[&str]) -> Vec<SearchRequest> {
    texts.iter().map(|q| SearchRequest::text(q)).collect()
}

fn filtered() -> Vec<SearchRequest> {
    let category = |c: &str| Uuid::new_v5(&Uuid::NAMESPACE_OID, c.as_bytes());
    [
        ("sepatu lari", "sepatu"),
        ("kemeja batik", "pakaian"),
        ("hp samsung", "handphone"),
        ("kopi", "minuman"),
    ]
    .iter()
    .map(|(q, c)| SearchRequest {
        category_ids: vec![category(c)],
        min_price: Some(50_000),
        max_price: Some(3_000_000),
        in_stock: true,
        ..SearchRequest::text(q)
    })
    .collect()
}

fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn build(index: &SearchIndex, events: &[RecordedEvent], products: usize) {
    let start = Instant::now();
    for batch in events.chunks(20_000) {
        index.apply(batch).expect("apply");
    }
    let took = start.elapsed();
    println!(
        "build: {products} products ({} events) in {took:.2?} = {:.0} products/s",
        events.len(),
        products as f64 / took.as_secs_f64()
    );
}

fn throughput(index: &SearchIndex, mix: &[SearchRequest]) {
    let threads = 16;
    let per_thread = 400;
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..per_thread {
                    let r = &mix[(t * 7 + i) % mix.len()];
                    std::hint::black_box(index.search(r).expect("search"));
                }
            });
        }
    });
    let took = start.elapsed();
    println!(
        "throughput: 16 threads, {} queries in {took:.2?} = {:.0} queries/s",
        threads * per_thread,
        (threads * per_thread) as f64 / took.as_secs_f64()
    );
}

fn change_latency(index: &SearchIndex, products: usize) {
    let mut samples = Vec::new();
    for i in 0..50 {
        let id = Uuid::from_u128((i * 997 % products) as u128 + 1);
        let stock = StockEvent::StockAdjusted {
            delta: -1,
            reason: "bench".into(),
            on_hand: 1,
            available: 1,
        };
        let mut events = Vec::new();
        push(&mut events, format!("stock-{id}"), 2 + i as i64, &stock);
        let start = Instant::now();
        index.apply(&events).expect("apply");
        samples.push(start.elapsed());
    }
    report("apply 1 event (visible)", &mut samples);
}

/// Reports one-client latencies per query kind; returns all the requests as a mix.
fn latencies(index: &SearchIndex) -> Vec<SearchRequest> {
    let exact = requests(&[
        "sepatu lari",
        "kemeja batik",
        "hp samsung",
        "kopi bubuk",
        "tas ransel pria",
    ]);
    let prefix = requests(&[
        "sepatu la",
        "kemeja ba",
        "hp sam",
        "kopi bu",
        "tas ransel pr",
    ]);
    let typo = requests(&[
        "sepatu larri",
        "kemaja batik",
        "hp samsumg",
        "kopi bubukk",
        "tas ransle pria",
    ]);
    let faceted = filtered();
    report("exact", &mut time_queries(index, &exact, 40));
    report("prefix (last word)", &mut time_queries(index, &prefix, 40));
    report("typo", &mut time_queries(index, &typo, 40));
    report("filtered + faceted", &mut time_queries(index, &faceted, 50));
    let mix: Vec<SearchRequest> = [exact, prefix, typo, faceted].concat();
    mix
}

fn main() {
    let products: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let mut rng = StdRng::seed_from_u64(7);
    let mut events = Vec::with_capacity(products * 2);
    for n in 0..products {
        product_events(n, &mut rng, &mut events);
    }
    let (rss, _) = rss_kib();
    println!(
        "memory: RSS {} MiB with the generated events, before indexing",
        rss / 1024
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let index = SearchIndex::open(dir.path()).expect("open");
    build(&index, &events, products);
    drop(events);
    let mix = latencies(&index);
    throughput(&index, &mix);
    let mut suggest = Vec::new();
    for _ in 0..200 {
        for p in [
            "s", "sep", "sepatu l", "kem", "hp sa", "kopi", "tas r", "lapt",
        ] {
            let start = Instant::now();
            std::hint::black_box(index.suggest(p, 8));
            suggest.push(start.elapsed());
        }
    }
    report("suggest", &mut suggest);
    change_latency(&index, products);
    let (rss, peak) = rss_kib();
    println!(
        "memory: RSS {} MiB now, peak {} MiB",
        rss / 1024,
        peak / 1024
    );
}
