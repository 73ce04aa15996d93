//! The fixture catalog (`catalog.txt`) and the events that list it.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use pasar_events::types::{DomainEvent, Money, ProductCondition, ProductEvent, StockEvent};
use pasar_events::{Metadata, Position, RecordedEvent};
use pasar_search::{SearchIndex, SearchRequest};
use uuid::Uuid;

const CATALOG: &str = include_str!("catalog.txt");
/// Listed, then discontinued: never searchable.
pub const DISCONTINUED: &[&str] = &["sepatu-lari-anak"];

/// One fixture product.
#[derive(Debug, Clone)]
pub struct Product {
    pub slug: String,
    pub id: Uuid,
    pub name: String,
    pub brand: String,
    pub category: Uuid,
    pub price: i64,
    pub condition: ProductCondition,
    pub stock: i64,
    pub description: String,
    pub seller: Uuid,
}

/// The category id of a category slug.
pub fn category(slug: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("category/{slug}").as_bytes())
}

/// The seller of the n-th product: three sellers take turns.
pub fn seller(n: usize) -> Uuid {
    Uuid::from_u128(0x005e_11e2_0000 + (n % 3) as u128)
}

/// Every fixture product, in file order.
pub fn catalog() -> Vec<Product> {
    CATALOG
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let f: Vec<&str> = line.split('|').map(str::trim).collect();
            Product {
                slug: f[0].to_owned(),
                id: Uuid::new_v5(&Uuid::NAMESPACE_OID, f[0].as_bytes()),
                name: f[1].to_owned(),
                brand: f[2].to_owned(),
                category: category(f[3]),
                price: f[4].parse().expect("fixture price"),
                condition: match f[5] {
                    "used" => ProductCondition::Used,
                    "refurbished" => ProductCondition::Refurbished,
                    _ => ProductCondition::New,
                },
                stock: f[6].parse().expect("fixture stock"),
                description: f[7].to_owned(),
                seller: seller(n),
            }
        })
        .collect()
}

/// The searchable fixture products.
pub fn active() -> Vec<Product> {
    catalog()
        .into_iter()
        .filter(|p| !DISCONTINUED.contains(&p.slug.as_str()))
        .collect()
}

/// Builds recorded events with increasing positions.
#[derive(Default)]
pub struct Log {
    pub events: Vec<RecordedEvent>,
    versions: HashMap<String, i64>,
}

impl Log {
    /// Appends an event to `stream`.
    pub fn push<E: DomainEvent>(&mut self, stream: String, event: &E) {
        let version = self.versions.entry(stream.clone()).or_default();
        *version += 1;
        let global = self.events.len() as i64 + 1;
        self.events.push(RecordedEvent {
            event_id: Uuid::from_u128(global as u128),
            stream,
            stream_version: *version,
            position: Position { txid: 1, global },
            event_type: event.event_type(),
            schema_version: pasar_events::upcast::current_version(&event.event_type()),
            data: event.to_data(),
            metadata: Metadata::default(),
            recorded_at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
        });
    }

    /// Lists a product and receives its stock.
    pub fn list(&mut self, n: usize, p: &Product) {
        let listed = ProductEvent::ProductListed {
            product_id: p.id,
            seller_id: p.seller,
            sku: p.slug.to_uppercase(),
            name: p.name.clone(),
            description: p.description.clone(),
            price: Money::idr(p.price),
            category_id: Some(p.category),
            brand: Some(p.brand.clone()),
            weight_grams: 500,
            condition: p.condition,
            listed_at: Utc.timestamp_opt(1_700_000_000 + n as i64 * 60, 0).unwrap(),
        };
        self.push(format!("product-{}", p.id), &listed);
        let stock = StockEvent::StockReceived {
            quantity: p.stock,
            on_hand: p.stock,
            available: p.stock,
        };
        self.push(format!("stock-{}", p.id), &stock);
    }

    /// Discontinues a product.
    pub fn discontinue(&mut self, id: Uuid) {
        let event = ProductEvent::ProductDiscontinued {
            discontinued_at: Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        };
        self.push(format!("product-{id}"), &event);
    }
}

/// The events that build the fixture catalog.
pub fn catalog_log() -> Log {
    let mut log = Log::default();
    for (n, p) in catalog().iter().enumerate() {
        log.list(n, p);
    }
    for p in catalog()
        .iter()
        .filter(|p| DISCONTINUED.contains(&p.slug.as_str()))
    {
        log.discontinue(p.id);
    }
    log
}

/// An in-memory index of the fixture catalog.
pub fn catalog_index() -> SearchIndex {
    let index = SearchIndex::create_in_ram().expect("index");
    index.apply(&catalog_log().events).expect("apply");
    index
}

/// Slugs of the hits of a search, in order.
pub fn slugs(index: &SearchIndex, request: &SearchRequest) -> Vec<String> {
    let by_id: HashMap<Uuid, String> = catalog().into_iter().map(|p| (p.id, p.slug)).collect();
    index
        .search(request)
        .expect("search")
        .hits
        .iter()
        .map(|h| by_id[&h.id].clone())
        .collect()
}
