//! Cost calculation (reference §1.3): form-encoded input, one flat row per service with
//! integer rupiah and `etd` as text, `price` ordering, per-kg pricing and the 4xx answers.

use serde_json::Value;

use super::support::{KEY, cost, costs, post_form, sim};

const GAMBIR: &str = "17373";
const DAGO: &str = "12045";
const GURABESI: &str = "46833";

fn form<'a>(
    origin: &'a str,
    destination: &'a str,
    weight: &'a str,
    courier: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("origin", origin),
        ("destination", destination),
        ("weight", weight),
        ("courier", courier),
    ]
}

fn service<'a>(rows: &'a [Value], code: &str, service: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["code"] == code && r["service"] == service)
        .unwrap_or_else(|| panic!("no {code} {service} in {rows:?}"))
}

#[tokio::test]
async fn each_service_is_one_flat_row_with_integer_cost_and_text_etd() {
    let sim = sim().await;

    let answer = cost(&sim, &form(GAMBIR, DAGO, "1700", "jne:pos:tiki")).await;

    assert_eq!(
        answer.body["meta"]["message"],
        "Success Calculate Domestic Shipping cost"
    );
    let rows = answer.rows();
    assert_eq!(rows.len(), 8);
    for row in &rows {
        let fields = row.as_object().unwrap();
        let mut keys: Vec<&str> = fields.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["code", "cost", "description", "etd", "name", "service"]
        );
        assert!(row["cost"].is_u64());
        assert!(row["etd"].is_string());
    }
    assert_eq!(
        service(&rows, "jne", "REG")["name"],
        "Jalur Nugraha Ekakurir (JNE)"
    );
    assert_eq!(service(&rows, "pos", "Pos Reguler")["description"], "240");
}

#[tokio::test]
async fn weight_is_charged_per_started_kilogram_with_a_minimum_of_one() {
    let sim = sim().await;
    let reg = |weight: &'static str| {
        let sim = &sim;
        async move {
            let rows = cost(sim, &form(GAMBIR, DAGO, weight, "jne")).await.rows();
            service(&rows, "jne", "REG")["cost"].as_u64().unwrap()
        }
    };

    let one_gram = reg("1").await;
    let one_kg = reg("1000").await;
    let just_over = reg("1001").await;
    let seventeen_hundred = reg("1700").await;
    let ten_kg = reg("10000").await;

    assert_eq!(one_gram, one_kg);
    assert_eq!(just_over, 2 * one_kg);
    assert_eq!(seventeen_hundred, 2 * one_kg);
    assert_eq!(ten_kg, 10 * one_kg);
    assert_eq!(one_kg % 500, 0);
}

#[tokio::test]
async fn farther_destinations_cost_more_and_take_longer() {
    let sim = sim().await;

    let near = cost(&sim, &form(GAMBIR, DAGO, "1000", "jne")).await.rows();
    let far = cost(&sim, &form(GAMBIR, GURABESI, "1000", "jne"))
        .await
        .rows();

    let (near_reg, far_reg) = (service(&near, "jne", "REG"), service(&far, "jne", "REG"));
    assert!(far_reg["cost"].as_u64() > near_reg["cost"].as_u64());
    assert_eq!(near_reg["etd"], "1-2 day");
    assert_ne!(far_reg["etd"], near_reg["etd"]);
    // Next-day services do not reach Papua.
    assert!(near.iter().any(|r| r["service"] == "YES"));
    assert!(far.iter().all(|r| r["service"] != "YES"));
}

#[tokio::test]
async fn etd_is_written_in_each_couriers_own_style() {
    let sim = sim().await;

    let rows = cost(&sim, &form(GAMBIR, DAGO, "1000", "jne:sicepat:jnt"))
        .await
        .rows();

    assert_eq!(service(&rows, "jne", "YES")["etd"], "1 day");
    assert_eq!(service(&rows, "sicepat", "REG")["etd"], "1-2");
    assert_eq!(service(&rows, "jnt", "EZ")["etd"], "");
}

#[tokio::test]
async fn price_lowest_and_highest_sort_the_same_rows_by_cost() {
    let sim = sim().await;
    let mut base = form(
        GAMBIR,
        GURABESI,
        "2500",
        "jne:sicepat:jnt:pos:tiki:anteraja:ninja:lion",
    );

    let unsorted = costs(&cost(&sim, &base).await.rows());
    base.push(("price", "lowest"));
    let lowest = costs(&cost(&sim, &base).await.rows());
    base.pop();
    base.push(("price", "highest"));
    let highest = costs(&cost(&sim, &base).await.rows());

    let mut ascending = unsorted.clone();
    ascending.sort_unstable();
    assert_ne!(
        unsorted, ascending,
        "the couriers' own order is not by cost"
    );
    assert_eq!(lowest, ascending);
    assert_eq!(highest, ascending.iter().rev().copied().collect::<Vec<_>>());
}

#[tokio::test]
async fn without_price_rows_follow_the_requested_courier_order_and_repeat_exactly() {
    let sim = sim().await;

    let first = cost(&sim, &form(GAMBIR, DAGO, "1000", "TIKI:jne:tiki"))
        .await
        .rows();
    let again = cost(&sim, &form(GAMBIR, DAGO, "1000", "tiki:jne"))
        .await
        .rows();

    let couriers: Vec<&str> = first.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(couriers, ["tiki", "tiki", "tiki", "jne", "jne", "jne"]);
    assert_eq!(first, again);
}

#[tokio::test]
async fn the_district_endpoint_also_takes_district_ids() {
    let sim = sim().await;
    let ngaglik_district = "5796";
    let sinduharjo = "31555";
    let path = "/api/v1/calculate/district/domestic-cost";

    let by_district = post_form(
        &sim,
        path,
        Some(KEY),
        &form(GAMBIR, ngaglik_district, "1000", "jne"),
    )
    .await;
    let by_subdistrict = post_form(
        &sim,
        path,
        Some(KEY),
        &form(GAMBIR, sinduharjo, "1000", "jne"),
    )
    .await;
    let search_level = cost(&sim, &form(GAMBIR, ngaglik_district, "1000", "jne")).await;

    assert_eq!(by_district.rows(), by_subdistrict.rows());
    search_level.assert_failed(404);
}

#[tokio::test]
async fn an_unknown_location_is_404() {
    let sim = sim().await;

    cost(&sim, &form("99999", DAGO, "1000", "jne"))
        .await
        .assert_failed(404);
    cost(&sim, &form(GAMBIR, "99999", "1000", "jne"))
        .await
        .assert_failed(404);
}

#[tokio::test]
async fn missing_or_malformed_fields_are_422_in_the_envelope() {
    let sim = sim().await;
    let good = form(GAMBIR, DAGO, "1000", "jne");
    for missing in ["origin", "destination", "weight", "courier"] {
        let without: Vec<_> = good
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        cost(&sim, &without).await.assert_failed(422);
    }
    for (field, value) in [
        ("weight", "1.5"),
        ("weight", "0"),
        ("weight", "-100"),
        ("origin", "jakarta"),
        ("courier", "jne:fedex"),
        ("price", "cheapest"),
    ] {
        let mut bad: Vec<_> = good.iter().copied().filter(|(k, _)| *k != field).collect();
        bad.push((field, value));
        cost(&sim, &bad).await.assert_failed(422);
    }
}

#[tokio::test]
async fn a_json_body_is_refused_with_422() {
    let sim = sim().await;

    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/calculate/domestic-cost", sim.base_url()))
        .header("key", KEY)
        .json(&serde_json::json!({"origin": 17373, "destination": 12045, "weight": 1000, "courier": "jne"}))
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status().as_u16(), 422);
    let body: Value = answer.json().await.unwrap();
    assert!(body["data"].is_null());
}
