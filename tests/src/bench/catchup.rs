//! Projection catch-up: events per second when rebuilding the catalog and orders projections
//! from zero over a log of 1,000,000 events, beside a raw COPY of the same number of rows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::SinkExt;
use pasar_events::postgres::PgEventStore;
use pasar_projector::{Projector, RebuildOptions};

pub struct Row {
    pub what: String,
    pub events: u64,
    pub elapsed: Duration,
}

impl Row {
    pub fn per_sec(&self) -> f64 {
        self.events as f64 / self.elapsed.as_secs_f64()
    }
}

/// Writes a realistic log of `products × 20` events straight into es_events (50,000 products
/// give 1,000,000): per product a listing, a receipt, four reservations; six orders placed and
/// paid (12 events); two cart additions.
const GENERATE: &str = "
INSERT INTO es_events (stream_id, stream_version, event_id, event_type, schema_version, data, metadata)
SELECT stream_id, stream_version, gen_random_uuid(), event_type, schema_version, data, '{}'::jsonb
FROM (
    SELECT p, kind, k FROM generate_series(1, $1::int) p,
        LATERAL (VALUES ('listed', 1), ('received', 1), ('reserved', 1), ('reserved', 2), ('reserved', 3),
                        ('reserved', 4), ('cart', 1), ('cart', 2)) AS per_product(kind, k)
    UNION ALL
    SELECT p, kind, k FROM generate_series(1, $1::int) p, generate_series(1, 6) k,
        LATERAL (VALUES ('placed'), ('paid')) AS per_order(kind)
) AS plan,
LATERAL (SELECT md5('product' || p)::uuid AS product, md5('order' || p || '-' || k)::uuid AS order_id) ids,
LATERAL (SELECT
    CASE kind WHEN 'listed' THEN 'product-' || product WHEN 'received' THEN 'stock-' || product
              WHEN 'reserved' THEN 'stock-' || product WHEN 'cart' THEN 'cart-' || md5('cart' || p || k)::uuid
              ELSE 'order-' || order_id END AS stream_id,
    CASE kind WHEN 'reserved' THEN k + 1 WHEN 'paid' THEN 2 ELSE 1 END AS stream_version,
    CASE kind WHEN 'listed' THEN 'ProductListed' WHEN 'received' THEN 'StockReceived'
              WHEN 'reserved' THEN 'StockReserved' WHEN 'cart' THEN 'CartItemAdded'
              WHEN 'placed' THEN 'OrderPlaced' ELSE 'OrderPaid' END AS event_type,
    CASE kind WHEN 'listed' THEN 2 ELSE 1 END AS schema_version,
    CASE kind
      WHEN 'listed' THEN jsonb_build_object('product_id', product, 'seller_id', md5('seller' || p % 100)::uuid,
          'sku', 'SKU-' || p, 'name', 'Produk ' || p, 'description', 'Barang bagus nomor ' || p,
          'price', jsonb_build_object('amount', 1000 + p, 'currency', 'IDR'), 'category_id', null,
          'brand', 'Merek ' || p % 50, 'weight_grams', 100 + p % 900, 'condition', 'new',
          'listed_at', '2026-11-01T00:00:00Z')
      WHEN 'received' THEN jsonb_build_object('quantity', 100, 'on_hand', 100, 'available', 100)
      WHEN 'reserved' THEN jsonb_build_object('order_id', md5('order' || p || '-' || k)::uuid, 'quantity', 1,
          'expires_at', '2026-11-02T00:00:00Z', 'available', 100 - k)
      WHEN 'cart' THEN jsonb_build_object('product_id', product, 'quantity', 1, 'line_quantity', 1)
      WHEN 'placed' THEN jsonb_build_object('order_id', order_id, 'checkout_id', order_id, 'payment_id', order_id,
          'buyer_id', md5('buyer' || p % 1000)::uuid, 'seller_id', md5('seller' || p % 100)::uuid,
          'lines', jsonb_build_array(jsonb_build_object('product_id', product, 'sku', 'SKU-' || p, 'name', 'Produk ' || p,
              'unit_price', jsonb_build_object('amount', 1000 + p, 'currency', 'IDR'), 'quantity', 1,
              'line_total', jsonb_build_object('amount', 1000 + p, 'currency', 'IDR'))),
          'subtotal', jsonb_build_object('amount', 1000 + p, 'currency', 'IDR'),
          'shipping_cost', jsonb_build_object('amount', 0, 'currency', 'IDR'),
          'total', jsonb_build_object('amount', 1000 + p, 'currency', 'IDR'),
          'shipping_address', jsonb_build_object('recipient', 'Budi', 'phone', '0812', 'address', 'Jl. Sudirman',
              'city', 'Jakarta', 'postal_code', '12190', 'country_code', 'IDN'),
          'placed_at', '2026-11-01T00:00:00Z', 'expires_at', '2026-11-02T00:00:00Z')
      ELSE jsonb_build_object('payment_id', order_id, 'paid_at', '2026-11-01T01:00:00Z')
    END AS data) event
ORDER BY p, kind = 'paid', k";

pub async fn run(products: i32) -> anyhow::Result<Vec<Row>> {
    let url = super::scratch_database("pasar_bench_catchup");
    let store = PgEventStore::connect(&url).await?;
    let pool = store.pool().clone();
    let client = pool.get().await?;
    client.batch_execute("SET statement_timeout = 0").await?;
    let generated = Instant::now();
    client.execute(GENERATE, &[&products]).await?;
    let events: i64 = client
        .query_one("SELECT count(*) FROM es_events", &[])
        .await?
        .get(0);
    eprintln!("generated {events} events in {:.1?}", generated.elapsed());
    let mut rows = vec![raw_copy(&client, events).await?];
    drop(client);

    let read_pool = pasar_events::postgres::pool(&url, 8)?;
    let projector = Projector::new(Arc::new(store), read_pool).await?;
    for name in ["catalog", "orders"] {
        let rebuilt = projector.rebuild(name, &RebuildOptions::default()).await?;
        rows.push(Row {
            what: format!("rebuild `{name}`"),
            events: rebuilt.events,
            elapsed: rebuilt.elapsed,
        });
    }
    drop(projector);
    super::drop_database(&url).await;
    Ok(rows)
}

/// COPY of `n` rows shaped like es_events into a bare table with the same indexes.
async fn raw_copy(client: &tokio_postgres::Client, n: i64) -> anyhow::Result<Row> {
    client
        .batch_execute("CREATE TABLE bench_copy (LIKE es_events INCLUDING ALL)")
        .await?;
    let started = Instant::now();
    let sink = client
        .copy_in("COPY bench_copy (stream_id, stream_version, event_id, event_type, schema_version, data, metadata) FROM STDIN")
        .await?;
    futures::pin_mut!(sink);
    let mut chunk = String::with_capacity(1 << 20);
    for i in 0..n {
        let data = format!(
            r#"{{"order_id": "{}", "quantity": 1, "expires_at": "2026-11-02T00:00:00Z", "available": {}}}"#,
            uuid::Uuid::new_v4(),
            i % 100
        );
        chunk.push_str(&format!(
            "stock-{}\t{}\t{}\tStockReserved\t1\t{data}\t{{}}\n",
            i / 4,
            i % 4 + 1,
            uuid::Uuid::new_v4()
        ));
        if chunk.len() > (1 << 20) {
            sink.send(Bytes::from(std::mem::take(&mut chunk))).await?;
        }
    }
    sink.send(Bytes::from(chunk)).await?;
    sink.as_mut().finish().await?;
    Ok(Row {
        what: "raw COPY into a bare table with the same indexes".into(),
        events: n as u64,
        elapsed: started.elapsed(),
    })
}

pub fn print(rows: &[Row]) {
    println!("\n## Projection catch-up over the same log (rebuild from zero, beside a raw COPY)\n");
    println!("| what | events | seconds | events/s |");
    println!("|---|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:.1} | {:.0} |",
            r.what,
            r.events,
            r.elapsed.as_secs_f64(),
            r.per_sec()
        );
    }
}
