//! `/v1/search` and `/v1/search/suggest` through the real binaries: products listed through
//! the command API are found by the query API's own index with the command's consistency
//! token (read-your-writes), with typos, prefixes, filters and facets; stock receipts show;
//! bad input is 422; a query API killed with SIGKILL while indexing resumes from its
//! committed checkpoint and ends with the same results as a freshly rebuilt index.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Lists a product for `seller`; returns its id and the command's consistency token.
pub(crate) async fn list(stack: &Stack, seller: &str, product: Value) -> (Uuid, String) {
    let mut body = product;
    body["sku"] = json!(format!(
        "SKU-{}",
        &Uuid::new_v4().simple().to_string()[..12]
    ));
    body["weight_grams"] = json!(300);
    let (status, answer, token) = stack
        .command(Method::POST, "/v1/products", Some(seller), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "list product: {answer}");
    (
        answer["id"].as_str().unwrap().parse().unwrap(),
        token.expect("a consistency token"),
    )
}

/// Creates a category as `admin`; returns its id.
async fn category(stack: &Stack, admin: &str, name: &str, parent: Option<Uuid>) -> Uuid {
    let body = json!({ "name": name, "parent_id": parent });
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/categories", Some(admin), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "create category: {answer}");
    answer["id"].as_str().unwrap().parse().unwrap()
}

async fn search(stack: &Stack, query: &str, token: &str) -> Value {
    let (status, body) = stack
        .query(&format!("/v1/search?{query}"), None, Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "search {query}: {body}");
    body
}

fn ids(body: &Value) -> Vec<Uuid> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn facet(body: &Value, facet: &str, key: &str, value: &str) -> u64 {
    body["facets"][facet]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f[key].as_str() == Some(value))
        .map_or(0, |f| f["count"].as_u64().unwrap())
}

#[tokio::test]
async fn listed_products_are_searchable_with_typos_prefixes_filters_and_facets_at_once() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    // Fashion > Sepatu, and Olahraga.
    let admin = stack.admin_token().await;
    let fashion = category(&stack, &admin, "Fashion", None).await;
    let shoes = category(&stack, &admin, "Sepatu", Some(fashion)).await;
    let sport = category(&stack, &admin, "Olahraga", None).await;
    let (men, _) = list(&stack, &seller, json!({"name": "Sepatu Lari Pria", "description": "Sepatu olahraga ringan untuk lari pagi", "price": 450_000, "brand": "Nike", "category_id": shoes})).await;
    let (women, _) = list(&stack, &seller, json!({"name": "Sepatu Lari Wanita", "description": "Nyaman untuk jogging", "price": 520_000, "brand": "Adidas", "category_id": shoes})).await;
    let (batik, _) = list(&stack, &seller, json!({"name": "Kemeja Batik Lengan Panjang", "description": "Batik tulis katun", "price": 250_000, "brand": "Batik Keris", "category_id": sport, "condition": "used"})).await;
    let (phone, token) = list(&stack, &seller, json!({"name": "HP Samsung A15 128GB", "description": "Handphone layar 6.5 inci", "price": 2_200_000, "brand": "Samsung"})).await;

    // Act + Assert: read-your-writes, with the last listing's token and no polling.
    let body = search(&stack, "q=sepatu+lari", &token).await;
    assert_eq!(body["total"], 2, "{body}");
    let found = ids(&body);
    assert!(found.contains(&men) && found.contains(&women), "{body}");
    let hit = &body["hits"][0];
    assert!(
        hit["highlights"]["name"]["matches"]
            .as_array()
            .unwrap()
            .len()
            >= 2,
        "{hit}"
    );
    assert_eq!(hit["thumbnail_url"], Value::Null);

    // Typo (one in a 4+1-letter word), prefix on the last word, units, synonyms.
    assert_eq!(ids(&search(&stack, "q=sepatu+lsri", &token).await).len(), 2);
    assert_eq!(ids(&search(&stack, "q=sepatu+la", &token).await).len(), 2);
    assert_eq!(
        ids(&search(&stack, "q=samsung+128+gb", &token).await),
        vec![phone]
    );
    assert_eq!(
        ids(&search(&stack, "q=handphone+samsung", &token).await),
        vec![phone]
    );
    assert_eq!(
        ids(&search(&stack, "q=kemeja+batik", &token).await),
        vec![batik]
    );

    // Filters.
    assert_eq!(
        ids(&search(&stack, "q=sepatu&brand=nike", &token).await),
        vec![men]
    );
    assert_eq!(
        ids(&search(&stack, "q=sepatu&min_price=500000&max_price=600000", &token).await),
        vec![women]
    );
    assert_eq!(
        ids(&search(&stack, &format!("q=batik&category={sport}"), &token).await),
        vec![batik]
    );
    // A category includes its subcategories.
    let mut in_fashion =
        ids(&search(&stack, &format!("q=sepatu&category={fashion}"), &token).await);
    in_fashion.sort();
    let mut shoes_listed = vec![men, women];
    shoes_listed.sort();
    assert_eq!(in_fashion, shoes_listed);
    assert_eq!(
        ids(&search(&stack, "q=batik&condition=new", &token).await),
        Vec::<Uuid>::new()
    );
    assert_eq!(
        ids(&search(&stack, "q=sepatu&sort=price_desc", &token).await),
        vec![women, men]
    );

    // Facets count every match, not the page.
    let body = search(&stack, "q=sepatu&limit=1", &token).await;
    assert_eq!(body["hits"].as_array().unwrap().len(), 1);
    assert_eq!(facet(&body, "brand", "name", "Nike"), 1, "{body}");
    assert_eq!(facet(&body, "brand", "name", "Adidas"), 1, "{body}");
    assert_eq!(
        facet(&body, "category", "id", &shoes.to_string()),
        2,
        "{body}"
    );
    assert_eq!(
        facet(&body, "category", "name", "Sepatu"),
        2,
        "facets carry the tree's names: {body}"
    );
    assert_eq!(facet(&body, "condition", "name", "new"), 2, "{body}");
    let next = body["next_cursor"].as_str().expect("a second page");
    let page2 = search(&stack, &format!("q=sepatu&limit=1&cursor={next}"), &token).await;
    assert_eq!(page2["hits"].as_array().unwrap().len(), 1);
    assert_ne!(
        ids(&page2),
        ids(&body),
        "the second page holds the other hit"
    );
    assert_eq!(page2["next_cursor"], Value::Null);

    // Suggest.
    let (status, body) = stack
        .query("/v1/search/suggest?q=sep", None, Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let texts: Vec<&str> = body["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["text"].as_str())
        .collect();
    assert!(
        texts.iter().any(|t| t.to_lowercase().starts_with("sepatu")),
        "{body}"
    );
    // The category "Sepatu" is offered too, with its id.
    let offered =
        body["suggestions"].as_array().unwrap().iter().any(|s| {
            s["kind"] == "category" && s["name"] == "Sepatu" && s["id"] == shoes.to_string()
        });
    assert!(offered, "the category is suggested: {body}");
}

#[tokio::test]
async fn stock_changes_show_in_search_with_the_receipts_token() {
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let (product, token) = list(
        &stack,
        &seller,
        json!({"name": "Kaos Polos Hitam", "description": "Kaos katun combed", "price": 75_000}),
    )
    .await;
    let body = search(&stack, "q=kaos+polos&in_stock=true", &token).await;
    assert_eq!(body["total"], 0, "no units yet: {body}");
    assert_eq!(
        search(&stack, "q=kaos+polos", &token).await["hits"][0]["available"],
        0
    );

    let (status, answer, token) = stack
        .command(
            Method::POST,
            &format!("/v1/inventory/{product}/receipts"),
            Some(&seller),
            Some(json!({"quantity": 7})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");

    let body = search(&stack, "q=kaos+polos&in_stock=true", &token.unwrap()).await;
    assert_eq!(ids(&body), vec![product]);
    assert_eq!(body["hits"][0]["available"], 7);
}

#[tokio::test]
async fn bad_search_input_is_422_problem_json_and_query_syntax_is_text() {
    let stack = Stack::start().await.unwrap();
    let long = "a".repeat(501);
    for (query, field) in [
        ("q=", "q"),
        ("q=+++", "q"),
        ("", "q"),
        (&*format!("q={long}"), "q"),
        ("q=sepatu&sort=cheapest", "sort"),
        ("q=sepatu&min_price=500&max_price=100", "min_price"),
        ("q=sepatu&min_price=murah", "min_price"),
        ("q=sepatu&category=not-a-uuid", "category"),
        ("q=sepatu&limit=1000", "limit"),
        ("q=sepatu&cursor=garbage", "cursor"),
        ("q=sepatu&in_stock=maybe", "in_stock"),
    ] {
        let (status, body) = stack
            .query(&format!("/v1/search?{query}"), None, None)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
        assert_eq!(body["status"], 422);
    }
    let (status, _) = stack.query("/v1/search/suggest?q=", None, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for q in [
        "%22sepatu",
        "sepatu%3A+lari",
        "lari*",
        "(kaos",
        "-kaos",
        "kaos~2",
        "%22%3A*(-~",
    ] {
        let (status, body) = stack.query(&format!("/v1/search?q={q}"), None, None).await;
        assert_eq!(status, StatusCode::OK, "{q}: {body}");
    }
}

/// Every hit of `q=produk` in price order, all pages (the index's whole searchable content).
async fn everything(stack: &Stack, token: &str) -> Vec<Value> {
    let mut hits = Vec::new();
    let mut cursor = String::new();
    loop {
        let body = search(
            stack,
            &format!("q=produk&sort=price_asc&limit=100{cursor}"),
            token,
        )
        .await;
        hits.extend(body["hits"].as_array().unwrap().iter().cloned());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return hits,
        }
    }
}

#[tokio::test]
async fn a_query_api_killed_while_indexing_resumes_and_matches_a_fresh_rebuild() {
    // Arrange: listings keep arriving while the query API is killed and restarted twice.
    let mut stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let mut token = String::new();
    for i in 0..160 {
        let product = json!({"name": format!("Produk Uji {i}"), "description": format!("Barang nomor {i}"), "price": 10_000 + i * 250});
        token = list(&stack, &seller, product).await.1;
        match i {
            40 => stack.kill("query-api"),
            90 => {
                // Back with a backlog to catch up on, then killed again at once: mid-catch-up.
                stack.restart("query-api").await.unwrap();
                stack.kill("query-api");
            }
            120 => stack.restart("query-api").await.unwrap(),
            _ => {}
        }
    }

    // Act
    let resumed = everything(&stack, &token).await;
    let admin = stack.admin_token().await;
    let url = format!("{}/v1/admin/search/rebuild", stack.query_url);
    let (status, rebuilt, _) = stack.send(Method::POST, url, Some(&admin), None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{rebuilt}");
    let fresh = everything(&stack, &token).await;

    // Assert
    assert_eq!(resumed.len(), 160);
    assert_eq!(rebuilt["products"], 160, "{rebuilt}");
    assert_eq!(
        resumed, fresh,
        "the resumed index holds what a fresh build holds"
    );
}

/// The short form of `pasar-bench search` (figures are not asserted: CI machines vary; the
/// benchmark's own checks are: the log indexed, every query answered, every stock change seen).
#[tokio::test]
async fn the_search_benchmark_runs_in_its_short_form() {
    let report = pasar_tests::bench::search::run(1_000, std::time::Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(report.throughput_errors, 0);
    assert!(
        report.total_sepatu > 0,
        "the generated catalog is searchable"
    );
    assert!(report.kinds.iter().all(|(_, l)| l.n > 0));
}
