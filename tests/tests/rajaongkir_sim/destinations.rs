//! Location endpoints (reference §1.4, §1.5): the search and the step-by-step lists.

use serde_json::{Value, json};

use super::support::{KEY, get, search, sim};

fn ids(rows: &[Value]) -> Vec<u64> {
    rows.iter().map(|r| r["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn a_search_row_has_the_documented_fields() {
    let sim = sim().await;

    let rows = search(&sim, "search=sinduharjo&limit=10&offset=0")
        .await
        .rows();

    assert_eq!(
        rows,
        vec![json!({
            "id": 31555,
            "label": "SINDUHARJO, NGAGLIK, SLEMAN, DI YOGYAKARTA, 55581",
            "province_name": "DI YOGYAKARTA",
            "city_name": "SLEMAN",
            "district_name": "NGAGLIK",
            "subdistrict_name": "SINDUHARJO",
            "zip_code": "55581",
        })]
    );
}

#[tokio::test]
async fn a_search_matches_every_word_in_any_case() {
    let sim = sim().await;

    let answer = search(&sim, "search=Jakarta%20selatan").await;

    assert_eq!(
        answer.body["meta"]["message"],
        "Success Get Domestic Destinations"
    );
    assert_eq!(ids(&answer.rows()), vec![17547, 17737]);
}

#[tokio::test]
async fn limit_and_offset_page_through_the_matches() {
    let sim = sim().await;

    let all = ids(&search(&sim, "search=jakarta").await.rows());
    let second_page = ids(&search(&sim, "search=jakarta&limit=2&offset=2").await.rows());
    let past_the_end = search(&sim, "search=jakarta&offset=50").await.rows();

    assert_eq!(all.len(), 4);
    assert_eq!(second_page, all[2..].to_vec());
    assert!(past_the_end.is_empty());
}

#[tokio::test]
async fn a_search_without_a_match_is_404_with_null_data() {
    let sim = sim().await;

    search(&sim, "search=atlantis").await.assert_failed(404);
}

#[tokio::test]
async fn a_blank_search_or_a_bad_limit_is_422() {
    let sim = sim().await;

    search(&sim, "search=%20").await.assert_failed(422);
    search(&sim, "limit=5").await.assert_failed(422);
    search(&sim, "search=bandung&limit=ten")
        .await
        .assert_failed(422);
    search(&sim, "search=bandung&offset=-1")
        .await
        .assert_failed(422);
}

#[tokio::test]
async fn provinces_are_id_and_name_only() {
    let sim = sim().await;

    let rows = get(&sim, "/api/v1/destination/province", Some(KEY))
        .await
        .rows();

    assert!(rows.contains(&json!({ "id": 11, "name": "DKI JAKARTA" })));
    assert!(rows.contains(&json!({ "id": 6, "name": "JAWA BARAT" })));
    assert!(rows.iter().all(|r| r.as_object().unwrap().len() == 2));
}

#[tokio::test]
async fn the_step_by_step_lists_lead_from_a_province_to_a_searchable_subdistrict() {
    let sim = sim().await;
    let list = |path: String| {
        let sim = &sim;
        async move { get(sim, &path, Some(KEY)).await.rows() }
    };

    // Arrange / Act: DI YOGYAKARTA → SLEMAN → NGAGLIK → SINDUHARJO.
    let cities = list("/api/v1/destination/city/5".into()).await;
    let sleman = cities.iter().find(|c| c["name"] == "SLEMAN").unwrap();
    let districts = list(format!("/api/v1/destination/district/{}", sleman["id"])).await;
    let ngaglik = districts.iter().find(|d| d["name"] == "NGAGLIK").unwrap();
    let subdistricts = list(format!(
        "/api/v1/destination/sub-district/{}",
        ngaglik["id"]
    ))
    .await;

    // Assert
    assert_eq!(cities.len(), 2);
    assert_eq!(sleman["zip_code"], "0");
    assert_eq!(ngaglik["zip_code"], "0");
    assert_eq!(
        subdistricts,
        vec![json!({ "id": 31555, "name": "SINDUHARJO", "zip_code": "55581" })]
    );
}

#[tokio::test]
async fn an_unknown_id_in_a_list_path_is_404() {
    let sim = sim().await;

    for path in [
        "/api/v1/destination/city/999",
        "/api/v1/destination/district/abc",
        "/api/v1/destination/sub-district/31555",
    ] {
        get(&sim, path, Some(KEY)).await.assert_failed(404);
    }
}
