//! The `key` header (reference §1.1, §1.7): required on every endpoint, an unknown key is the
//! documented 400 body, a missing one a 401 in the same envelope.

use serde_json::json;

use super::support::{KEY, get, post_form, sim};

const JAKARTA_TO_BANDUNG: &[(&str, &str)] = &[
    ("origin", "17373"),
    ("destination", "12045"),
    ("weight", "1000"),
    ("courier", "jne"),
];

#[tokio::test]
async fn an_unknown_key_gets_the_documented_400_body_exactly() {
    let sim = sim().await;

    let answer = get(&sim, "/api/v1/destination/province", Some("not-the-key")).await;

    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        json!({"meta":{"message":"Invalid Api key, key not found","code":400,"status":"failed"},"data":null})
    );
}

#[tokio::test]
async fn a_missing_key_is_401_in_the_envelope() {
    let sim = sim().await;

    let answer = get(&sim, "/api/v1/destination/province", None).await;

    answer.assert_failed(401);
}

#[tokio::test]
async fn an_empty_key_counts_as_missing() {
    let sim = sim().await;

    let answer = get(&sim, "/api/v1/destination/province", Some("")).await;

    answer.assert_failed(401);
}

#[tokio::test]
async fn every_endpoint_checks_the_key() {
    let sim = sim().await;
    let reads = [
        "/api/v1/destination/domestic-destination?search=gambir",
        "/api/v1/destination/province",
        "/api/v1/destination/city/11",
        "/api/v1/destination/district/152",
        "/api/v1/destination/sub-district/2096",
    ];
    for path in reads {
        get(&sim, path, Some("wrong")).await.assert_failed(400);
        get(&sim, path, None).await.assert_failed(401);
        assert_eq!(get(&sim, path, Some(KEY)).await.status, 200, "{path}");
    }
    for path in [
        "/api/v1/calculate/domestic-cost",
        "/api/v1/calculate/district/domestic-cost",
    ] {
        post_form(&sim, path, Some("wrong"), JAKARTA_TO_BANDUNG)
            .await
            .assert_failed(400);
        post_form(&sim, path, None, JAKARTA_TO_BANDUNG)
            .await
            .assert_failed(401);
        let ok = post_form(&sim, path, Some(KEY), JAKARTA_TO_BANDUNG).await;
        assert_eq!(ok.status, 200, "{path}");
    }
}

#[tokio::test]
async fn the_header_name_is_case_insensitive() {
    let sim = sim().await;

    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/destination/province", sim.base_url()))
        .header("KEY", KEY)
        .send()
        .await
        .unwrap();

    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn an_unknown_path_is_a_bare_404_not_the_envelope() {
    let sim = sim().await;

    let answer = get(&sim, "/destination/province", Some(KEY)).await;

    assert_eq!(answer.status, 404);
    assert!(answer.body.is_string());
}
