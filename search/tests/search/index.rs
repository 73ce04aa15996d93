//! Index behaviour: idempotent apply, checkpoint, facets, paging, validation, highlights,
//! suggestions, swap.

use std::collections::HashMap;

use pasar_events::Position;
use pasar_events::types::{Money, ProductEvent, StockEvent};
use pasar_search::{IndexSwap, SearchError, SearchIndex, SearchRequest, SortOrder, Suggestion};

use crate::fixtures::{Log, active, catalog, catalog_index, catalog_log, category, slugs};

fn everything(index: &SearchIndex, q: &str) -> Vec<String> {
    let mut request = SearchRequest::text(q);
    request.limit = 100;
    slugs(index, &request)
}

#[test]
fn applying_the_same_events_twice_changes_nothing() {
    // Arrange
    let index = catalog_index();
    let before: Vec<_> = ["sepatu", "kopi 250g", "hp"]
        .iter()
        .map(|q| everything(&index, q))
        .collect();
    // Act
    let again = index.apply(&catalog_log().events).unwrap();
    // Assert
    assert_eq!(again.documents_written, 0);
    let after: Vec<_> = ["sepatu", "kopi 250g", "hp"]
        .iter()
        .map(|q| everything(&index, q))
        .collect();
    assert_eq!(before, after);
    assert_eq!(index.active_count().unwrap(), active().len() as u64);
}

#[test]
fn a_discontinued_product_is_not_found() {
    let index = catalog_index();
    assert!(!everything(&index, "sepatu lari anak lampu").contains(&"sepatu-lari-anak".to_owned()));
}

#[test]
fn the_checkpoint_survives_reopening_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let log = catalog_log();
    let last = log.events.last().unwrap().position;
    {
        let index = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(index.checkpoint(), None);
        let (first, rest) = log.events.split_at(50);
        index.apply(first).unwrap();
        index.apply(rest).unwrap();
        assert_eq!(index.checkpoint(), Some(last));
    }
    let reopened = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(reopened.checkpoint(), Some(last));
    assert_eq!(
        everything(&reopened, "kemeja batik lengan panjang")[0],
        "kemeja-batik"
    );
    assert!(
        !reopened.suggest("kemeja ba", 8).is_empty(),
        "suggester rebuilt on open"
    );
}

#[test]
fn staged_batches_are_invisible_until_committed_and_then_match_applying_them() {
    // Arrange
    let log = catalog_log();
    let (first, rest) = log.events.split_at(log.events.len() / 2);
    let index = SearchIndex::create_in_ram().unwrap();
    // Act: two batches staged, not committed.
    index.stage(first, None).unwrap();
    let staged = index.stage(rest, None).unwrap();
    // Assert: nothing searchable, no checkpoint, until the commit.
    assert_eq!(staged.events, log.events.len());
    assert_eq!(index.checkpoint(), None);
    assert_eq!(index.active_count().unwrap(), 0);
    let committed = index.commit_staged().unwrap();
    assert_eq!(committed.checkpoint, log.events.last().map(|e| e.position));
    assert_eq!(index.staged(), pasar_search::Staged::default());
    let direct = catalog_index();
    for q in ["sepatu", "kopi 250g", "hp", "kemeja batik lengan panjang"] {
        assert_eq!(everything(&index, q), everything(&direct, q), "{q}");
    }
    assert_eq!(index.active_count().unwrap(), active().len() as u64);
}

#[test]
fn a_failed_batch_discards_everything_staged_since_the_last_commit() {
    // Arrange
    let log = catalog_log();
    let (first, rest) = log.events.split_at(log.events.len() / 2);
    let index = SearchIndex::create_in_ram().unwrap();
    index.stage(first, None).unwrap();
    let mut broken = rest.to_vec();
    let at = broken
        .iter()
        .position(|e| e.stream.starts_with("product-"))
        .unwrap();
    broken[at].data = serde_json::json!({"not": "a product event"});
    // Act
    let failed = index.stage(&broken, None);
    // Assert: the first batch went too; applying again from the start rebuilds it all.
    assert!(failed.is_err());
    assert_eq!(index.staged(), pasar_search::Staged::default());
    assert_eq!(index.commit_staged().unwrap().documents_written, 0);
    assert_eq!(index.active_count().unwrap(), 0);
    index.apply(&log.events).unwrap();
    assert_eq!(index.active_count().unwrap(), active().len() as u64);
}

#[test]
fn newer_product_and_stock_events_replace_the_document_and_older_ones_are_ignored() {
    // Arrange: a fresh log numbers versions from 1, which the catalog already applied.
    let index = catalog_index();
    let product = catalog()
        .into_iter()
        .find(|p| p.slug == "sepatu-bola")
        .unwrap();
    let relisted = |price| ProductEvent::ProductListed {
        product_id: product.id,
        seller_id: product.seller,
        sku: "X".into(),
        name: product.name.clone(),
        description: product.description.clone(),
        price: Money::idr(price),
        category_id: Some(product.category),
        brand: Some(product.brand.clone()),
        weight_grams: 1,
        condition: product.condition,
        listed_at: chrono::Utc::now(),
    };
    let stock = StockEvent::StockReceived {
        quantity: 3,
        on_hand: 3,
        available: 3,
    };
    let mut log = Log::default();
    log.push(format!("product-{}", product.id), &relisted(1)); // v1: stale
    log.push(format!("product-{}", product.id), &relisted(777_000)); // v2: new price
    log.push(format!("stock-{}", product.id), &stock); // v1: stale
    log.push(format!("stock-{}", product.id), &stock); // v2: new stock
    // Act
    let applied = index.apply(&log.events).unwrap();
    // Assert
    assert_eq!(applied.documents_written, 1);
    let hit = &index
        .search(&SearchRequest::text("sepatu bola ortuseight"))
        .unwrap()
        .hits[0];
    assert_eq!((hit.price, hit.available), (777_000, 3));
    assert_eq!(index.apply(&log.events).unwrap().documents_written, 0);
}

#[test]
fn facet_counts_match_a_brute_force_count() {
    let index = catalog_index();
    let request = SearchRequest {
        limit: 1,
        ..SearchRequest::text("sepatu")
    };
    let results = index.search(&request).unwrap();
    let all = everything(&index, "sepatu");
    let matching: Vec<_> = active()
        .into_iter()
        .filter(|p| all.contains(&p.slug))
        .collect();
    assert_eq!(results.total, matching.len() as u64);
    let mut brands: HashMap<String, u64> = HashMap::new();
    let mut categories: HashMap<String, u64> = HashMap::new();
    let mut prices: HashMap<i64, u64> = HashMap::new();
    for p in &matching {
        *brands.entry(p.brand.clone()).or_default() += 1;
        *categories.entry(p.category.to_string()).or_default() += 1;
        let bucket =
            pasar_search::collect::PRICE_BUCKETS[pasar_search::collect::price_bucket(p.price)];
        *prices.entry(bucket).or_default() += 1;
    }
    let got = |f: &[pasar_search::FacetCount]| {
        f.iter()
            .map(|c| (c.value.clone(), c.count))
            .collect::<HashMap<_, _>>()
    };
    assert_eq!(got(&results.facets.brand), brands);
    assert_eq!(got(&results.facets.category), categories);
    let got_prices: HashMap<i64, u64> = results
        .facets
        .price
        .iter()
        .map(|b| (b.min, b.count))
        .collect();
    assert_eq!(got_prices, prices);
    let conditions: u64 = results.facets.condition.iter().map(|c| c.count).sum();
    assert_eq!(conditions, results.total);
}

#[test]
fn pages_never_repeat_or_skip_a_hit() {
    let index = catalog_index();
    for sort in [
        SortOrder::Relevance,
        SortOrder::PriceAsc,
        SortOrder::PriceDesc,
        SortOrder::Newest,
    ] {
        let mut request = SearchRequest {
            sort,
            limit: 100,
            ..SearchRequest::text("sepatu kemeja kopi samsung")
        };
        let all = slugs(&index, &request);
        request.limit = 3;
        let mut paged = Vec::new();
        loop {
            let page = index.search(&request).unwrap();
            paged.extend(slugs_of(&page));
            match page.next_cursor {
                Some(cursor) => request.cursor = Some(cursor),
                None => break,
            }
        }
        assert_eq!(paged, all, "{sort:?}");
    }
}

fn slugs_of(page: &pasar_search::SearchResults) -> Vec<String> {
    let by_id: HashMap<_, _> = catalog().into_iter().map(|p| (p.id, p.slug)).collect();
    page.hits.iter().map(|h| by_id[&h.id].clone()).collect()
}

#[test]
fn price_sorts_order_by_price() {
    let index = catalog_index();
    let request = SearchRequest {
        sort: SortOrder::PriceDesc,
        limit: 100,
        ..SearchRequest::text("sepatu")
    };
    let prices: Vec<i64> = index
        .search(&request)
        .unwrap()
        .hits
        .iter()
        .map(|h| h.price)
        .collect();
    assert!(prices.windows(2).all(|w| w[0] >= w[1]), "{prices:?}");
}

#[test]
fn bad_input_is_a_typed_validation_error() {
    let index = catalog_index();
    let field = |r: SearchRequest| match index.search(&r) {
        Err(SearchError::Invalid { field, .. }) => field,
        other => panic!("expected invalid, got {other:?}"),
    };
    assert_eq!(field(SearchRequest::text("  ")), "q");
    assert_eq!(field(SearchRequest::text(&"a".repeat(501))), "q");
    let inverted = SearchRequest {
        min_price: Some(10),
        max_price: Some(5),
        ..SearchRequest::text("x")
    };
    assert_eq!(field(inverted), "min_price");
    let cursor = SearchRequest {
        cursor: Some("garbage".into()),
        ..SearchRequest::text("x")
    };
    assert_eq!(field(cursor), "cursor");
    assert!(matches!(
        "cheapest".parse::<SortOrder>(),
        Err(SearchError::Invalid { field: "sort", .. })
    ));
    assert!(
        index
            .search(&SearchRequest::text("\"*:(-~"))
            .unwrap()
            .hits
            .is_empty()
    );
}

#[test]
fn highlights_are_plain_character_ranges() {
    let index = catalog_index();
    let hit = &index
        .search(&SearchRequest::text("kemeja batik"))
        .unwrap()
        .hits[0];
    let marked: Vec<String> = hit
        .highlight_name
        .matches
        .iter()
        .map(|s| {
            hit.highlight_name
                .text
                .chars()
                .skip(s.start)
                .take(s.end - s.start)
                .collect()
        })
        .collect();
    assert_eq!(marked, ["Kemeja", "Batik"]);
    assert!(!hit.highlight_description.matches.is_empty());
    assert!(!hit.highlight_name.text.contains('<'));
}

#[test]
fn synonyms_change_without_a_rebuild() {
    let index = catalog_index();
    assert!(
        everything(&index, "sneaker")
            .iter()
            .all(|s| s != "sepatu-lari-pria")
    );
    index.set_synonyms(pasar_search::Synonyms::parse("sneaker, sepatu").unwrap());
    assert!(everything(&index, "sneaker").contains(&"sepatu-lari-pria".to_owned()));
}

#[test]
fn suggestions_complete_names_and_categories() {
    let index = catalog_index();
    let texts: Vec<String> = index
        .suggest("sepatu la", 8)
        .into_iter()
        .map(|s| match s {
            Suggestion::Phrase { text, .. } => text,
            Suggestion::Category { name, .. } => name,
        })
        .collect();
    assert_eq!(texts[0], "Sepatu Lari");
    index.set_category_names(&HashMap::from([(
        category("sepatu"),
        "Sepatu & Sandal".to_owned(),
    )]));
    assert!(matches!(
        index.suggest("sepa", 8)[0],
        Suggestion::Category { .. }
    ));
    assert!(index.suggest("sepa", 50).len() <= 8);
}

#[test]
fn a_rebuild_serves_the_old_index_until_the_swap() {
    let dir = tempfile::tempdir().unwrap();
    let swap = IndexSwap::open(dir.path()).unwrap();
    let log = catalog_log();
    swap.current().apply(&log.events[..20]).unwrap();
    let live_before = swap.current();
    let rebuild = swap.begin_rebuild().unwrap();
    rebuild.index.apply(&log.events).unwrap();
    assert_eq!(
        swap.current().checkpoint(),
        Some(Position {
            txid: 1,
            global: 20
        })
    );
    swap.finish_rebuild(rebuild).unwrap();
    assert_eq!(
        swap.current().checkpoint(),
        log.events.last().map(|e| e.position)
    );
    assert_eq!(
        live_before.checkpoint(),
        Some(Position {
            txid: 1,
            global: 20
        })
    );
    drop((live_before, swap));
    let reopened = IndexSwap::open(dir.path()).unwrap();
    assert_eq!(
        reopened.current().checkpoint(),
        log.events.last().map(|e| e.position)
    );
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count(),
        1
    );
}
