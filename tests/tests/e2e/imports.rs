//! CSV product import: a file's lines create, update or are rejected one by one through the
//! same rules as the product routes; the same file twice changes nothing; malformed files are
//! refused whole with their line; only sellers and admins import and read their imports; a
//! kill -9 mid-import finishes after a restart with each product created once.

use std::time::Duration;

use pasar_tests::bench::import::{HEADER, generated_file, post, until_done};
use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::count;

const WITHIN: Duration = Duration::from_secs(60);

fn sku(tag: &str) -> String {
    format!("{tag}-{}", &Uuid::new_v4().simple().to_string()[..8])
}

/// Lists a product the HTTP way; its id.
async fn list(stack: &Stack, token: &str, sku: &str, price: i64) -> Uuid {
    let body = json!({ "sku": sku, "name": "Kopi Gayo", "price": price, "weight_grams": 250 });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/products", Some(token), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

async fn import(stack: &Stack, token: &str, file: &str) -> Value {
    let (status, accepted) = post(
        stack,
        Some(token),
        file.as_bytes().to_vec(),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    until_done(stack, token, &accepted, WITHIN).await.unwrap()
}

fn line(report: &Value, n: u64) -> &Value {
    report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == n)
        .unwrap_or_else(|| panic!("line {n} in {report}"))
}

#[tokio::test]
async fn an_import_creates_updates_and_rejects_line_by_line() {
    // Arrange: the seller's product to update, another seller's SKU.
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let (_, other) = stack.register("seller").await;
    let (new_sku, old_sku, theirs) = (sku("NEW"), sku("OLD"), sku("THEIRS"));
    let old = list(&stack, &seller, &old_sku, 50_000).await;
    list(&stack, &other, &theirs, 10_000).await;
    let file = format!(
        "{HEADER}\n\
         {new_sku},Teh Melati,\"Teh, wangi \"\"melati\"\"\",12500,100,Sariwangi,new,,10\n\
         {old_sku},Kopi Gayo,,55000,250,,,,3\n\
         {}-X,Kopi Mahal,,abc,250,,,,\n\
         {}-Y,,,1000,0,,broken,not-a-uuid,-1\n\
         {new_sku},Teh Lagi,,1,1,,,,\n\
         {theirs},Kopi Curian,,9000,250,,,,\n",
        new_sku, new_sku
    );

    // Act
    let report = import(&stack, &seller, &file).await;

    // Assert
    assert_eq!(report["rows"], 6, "{report}");
    assert_eq!(report["processed"], 6);
    assert_eq!(
        report["counts"],
        json!({"created": 1, "updated": 1, "unchanged": 0, "rejected": 4})
    );
    assert_eq!(line(&report, 2)["outcome"], "created");
    assert_eq!(line(&report, 3)["outcome"], "updated");
    assert_eq!(line(&report, 3)["product_id"], old.to_string());
    assert_eq!(
        line(&report, 4)["reasons"],
        json!(["price: must be a whole number of rupiah"])
    );
    let reasons = line(&report, 5)["reasons"].as_array().unwrap().clone();
    for field in [
        "name:",
        "weight_grams:",
        "condition:",
        "category_id:",
        "stock:",
    ] {
        assert!(
            reasons
                .iter()
                .any(|r| r.as_str().unwrap().starts_with(field)),
            "{field} in {reasons:?}"
        );
    }
    assert_eq!(
        line(&report, 6)["reasons"],
        json!(["sku: also on line 2; imported from there"])
    );
    assert_eq!(line(&report, 7)["outcome"], "rejected");
    assert_eq!(
        line(&report, 7)["reasons"],
        json!(["sku: belongs to another seller's product"])
    );
    assert_eq!(line(&report, 7)["product_id"], Value::Null);
    let created: Uuid = line(&report, 2)["product_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (_, product) = stack
        .query(&format!("/v1/products/{created}"), None, None)
        .await;
    assert_eq!(product["description"], "Teh, wangi \"melati\"", "{product}");
    assert_eq!(product["available"], 10, "{product}");
    let (_, updated) = stack
        .query(&format!("/v1/products/{old}"), None, None)
        .await;
    assert_eq!(updated["price"], 55_000, "{updated}");
    assert_eq!(updated["available"], 3, "{updated}");
    let (_, rejected) = stack
        .query(
            &format!(
                "/v1/imports/{}?outcome=rejected&limit=2",
                report["id"].as_str().unwrap()
            ),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(rejected["lines"].as_array().unwrap().len(), 2, "{rejected}");
    let cursor = rejected["next_cursor"].as_str().expect("a next page");
    let (_, next) = stack
        .query(
            &format!(
                "/v1/imports/{}?outcome=rejected&limit=2&cursor={cursor}",
                report["id"].as_str().unwrap()
            ),
            Some(&seller),
            None,
        )
        .await;
    let lines: Vec<&Value> = next["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["line"])
        .collect();
    assert_eq!(lines, [&json!(6), &json!(7)], "{next}");
    assert_eq!(next["next_cursor"], Value::Null);
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing_the_second_time() {
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let file = generated_file(&sku("TWICE"), 40);
    let first = import(&stack, &seller, &file).await;
    assert_eq!(first["counts"]["created"], 40, "{first}");
    let events = (
        count(&stack, "ProductListed").await,
        count(&stack, "StockReceived").await,
    );

    let second = import(&stack, &seller, &file).await;

    assert_eq!(
        second["counts"],
        json!({"created": 0, "updated": 0, "unchanged": 40, "rejected": 0}),
        "{second}"
    );
    assert_ne!(first["id"], second["id"]);
    let after = (
        count(&stack, "ProductListed").await,
        count(&stack, "StockReceived").await,
    );
    assert_eq!(after, events);
    for kind in ["ProductEdited", "ProductRepriced", "StockAdjusted"] {
        assert_eq!(count(&stack, kind).await, 0, "{kind}");
    }
    // The same Idempotency-Key: the same import; with another file: refused.
    let key = Uuid::new_v4().to_string();
    let bytes = file.clone().into_bytes();
    let (s1, a1) = post(&stack, Some(&seller), bytes.clone(), "text/csv", Some(&key)).await;
    let (s2, a2) = post(
        &stack,
        Some(&seller),
        bytes,
        "text/csv; charset=utf-8",
        Some(&key),
    )
    .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED),
        "{a1} {a2}"
    );
    assert_eq!(a1["import_id"], a2["import_id"]);
    let other = generated_file(&sku("OTHER"), 1).into_bytes();
    let (s3, a3) = post(&stack, Some(&seller), other, "text/csv", Some(&key)).await;
    assert_eq!(s3, StatusCode::UNPROCESSABLE_ENTITY, "{a3}");
    assert_eq!(count(&stack, "ImportRequested").await, 3);
}

#[tokio::test]
async fn malformed_files_are_refused_whole_with_the_line_that_broke_them() {
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let good = "A-1,Kopi,,1000,250,,,,\n";
    let mut latin1 = format!("{HEADER}\n{good}").into_bytes();
    latin1.extend(b"A-2,Caf\xE9,,1000,250,,,,\n");
    let too_many = format!("{HEADER}\n{}", good.repeat(10_001)).into_bytes();
    let too_big = format!("{HEADER}\n{}", "x".repeat(5 * 1024 * 1024)).into_bytes();
    let cases: Vec<(&str, Vec<u8>, StatusCode, Value)> = vec![
        (
            "bad encoding",
            latin1,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(3),
        ),
        (
            "wrong header",
            format!("sku,name,price\n{good}").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(1),
        ),
        (
            "open quote",
            format!("{HEADER}\n{good}A-2,\"Kopi,,1000,250,,,,\n{good}").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(3),
        ),
        (
            "too few cells",
            format!("{HEADER}\n{good}A-3,Kopi\n").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(3),
        ),
        (
            "too many rows",
            too_many,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!(10_002),
        ),
        (
            "no rows",
            format!("{HEADER}\n").into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            Value::Null,
        ),
        (
            "too big",
            too_big,
            StatusCode::PAYLOAD_TOO_LARGE,
            Value::Null,
        ),
    ];
    for (case, body, expected, line) in cases {
        let (status, problem) = post(&stack, Some(&seller), body, "text/csv", None).await;
        assert_eq!(status, expected, "{case}: {problem}");
        assert_eq!(problem["line"], line, "{case}: {problem}");
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{case}: {problem}"
        );
    }
    let (status, _) = post(
        &stack,
        Some(&seller),
        format!("{HEADER}\n{good}").into_bytes(),
        "application/json",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        count(&stack, "ImportRequested").await,
        0,
        "nothing recorded"
    );
    assert_eq!(count(&stack, "ProductListed").await, 0);
}

#[tokio::test]
async fn only_sellers_and_admins_import_and_only_the_importer_or_an_admin_reads_the_report() {
    let stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let (_, other) = stack.register("seller").await;
    let (_, buyer) = stack.register("buyer").await;
    let admin = stack.admin_token().await;
    let file = generated_file(&sku("ROLE"), 2).into_bytes();
    let (status, _) = post(&stack, Some(&buyer), file.clone(), "text/csv", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&stack, None, file.clone(), "text/csv", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, accepted) = post(&stack, Some(&seller), file, "text/csv", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    until_done(&stack, &seller, &accepted, WITHIN)
        .await
        .unwrap();
    let path = format!("/v1/imports/{}", accepted["import_id"].as_str().unwrap());
    for (who, token, expected) in [
        (
            "another seller",
            Some(other.as_str()),
            StatusCode::FORBIDDEN,
        ),
        ("a buyer", Some(buyer.as_str()), StatusCode::FORBIDDEN),
        ("nobody", None, StatusCode::UNAUTHORIZED),
        ("an admin", Some(admin.as_str()), StatusCode::OK),
    ] {
        let (status, body) = stack.query(&path, token, None).await;
        assert_eq!(status, expected, "{who}: {body}");
    }
    let (status, _) = stack
        .query(
            &format!("/v1/imports/{}", Uuid::now_v7()),
            Some(&seller),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = stack
        .query(&format!("{path}?limit=0"), Some(&seller), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn killing_the_command_api_mid_import_creates_each_product_once() {
    // Arrange
    let mut stack = Stack::start().await.unwrap();
    let (_, seller) = stack.register("seller").await;
    let rows = 3_000;
    let file = generated_file(&sku("KILL"), rows);
    let (status, accepted) = post(&stack, Some(&seller), file.into_bytes(), "text/csv", None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let path = format!("/v1/imports/{}", accepted["import_id"].as_str().unwrap());

    // Act: kill -9 once some lines are reported, then start it again.
    let running = stack
        .eventually(&path, Some(&seller), |r| r["processed"].as_i64() > Some(0))
        .await;
    stack.kill("command-api");
    stack.restart("command-api").await.unwrap();
    let done = until_done(&stack, &seller, &accepted, Duration::from_secs(300))
        .await
        .unwrap();

    // Assert
    assert!(
        running["processed"].as_i64() < Some(rows as i64),
        "killed mid-import: {running}"
    );
    assert_eq!(done["counts"]["created"], rows, "{}", done["counts"]);
    assert_eq!(count(&stack, "ProductListed").await, rows as i64);
    assert_eq!(count(&stack, "StockReceived").await, rows as i64);
    assert_eq!(
        sku_claims(&stack).await,
        rows as i64,
        "each SKU claimed once"
    );
    assert_eq!(count(&stack, "ImportCompleted").await, 1);
}

/// How many SKU claims the log holds.
async fn sku_claims(stack: &Stack) -> i64 {
    let (client, connection) = tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
        .query_one(
            "SELECT count(*) FROM es_events WHERE event_type = 'Claimed' AND stream_id LIKE 'sku-%'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn the_import_benchmark_runs_in_its_short_form() {
    let run = pasar_tests::bench::import::run(200).await.unwrap();
    assert_eq!(run.first_counts["created"], 200, "{}", run.first_counts);
    assert_eq!(run.again_counts["unchanged"], 200, "{}", run.again_counts);
}

#[tokio::test]
async fn an_import_on_a_small_pool_records_its_reports_without_a_failed_batch() {
    // Arrange: two connections for hundreds of lines in flight. While a report is recorded,
    // lines suspended holding connections must go on and give them back, or the report gets
    // none, the batch fails and the import starts over from its last report.
    let stack = Stack::start_with(&[("DATABASE_POOL_SIZE", "2")])
        .await
        .unwrap();
    let (_, seller) = stack.register("seller").await;
    let rows = 3_000;

    // Act
    let report = import(&stack, &seller, &generated_file(&sku("POOL"), rows)).await;

    // Assert
    assert_eq!(report["counts"]["created"], rows, "{report}");
    let metrics = reqwest::get(format!("{}/metrics", stack.command_url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failed: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("pasar_processor_errors_total{processor=\"product-imports\""))
        .collect();
    assert!(failed.is_empty(), "the import's batch failed: {failed:?}");
    assert_eq!(count(&stack, "ProductListed").await, rows as i64);
}
