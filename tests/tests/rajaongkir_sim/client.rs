//! The command API's RajaOngkir client against the simulator: typed answers, the search
//! cache, and every failure mapped onto `ShippingError` without leaking the key.

use std::time::Duration;

use pasar_command_api::rajaongkir::{
    CourierService, RajaOngkir, RajaOngkirSettings, RejectReason, ShippingError, UnavailableCause,
};
use pasar_tests::rajaongkir_sim::RajaOngkirSim;

use super::support::{KEY, sim, sim_with_quota};

const GAMBIR: u32 = 17373;
const DAGO: u32 = 12045;
const SINDUHARJO: u32 = 31555;

fn client_with(sim: &RajaOngkirSim, key: &str, timeout: Duration) -> RajaOngkir {
    let mut settings = RajaOngkirSettings::new(key, sim.api_url());
    settings.timeout = timeout;
    RajaOngkir::new(settings).unwrap()
}

fn client(sim: &RajaOngkirSim) -> RajaOngkir {
    client_with(sim, KEY, Duration::from_secs(5))
}

#[track_caller]
fn assert_unavailable(error: &ShippingError, expected: UnavailableCause) {
    match error {
        ShippingError::Unavailable { cause, .. } => assert_eq!(*cause, expected),
        other => panic!("expected Unavailable({expected:?}), got {other:?}"),
    }
}

#[track_caller]
fn assert_rejected(error: &ShippingError, expected: RejectReason) {
    match error {
        ShippingError::Rejected { reason, .. } => assert_eq!(*reason, expected),
        other => panic!("expected Rejected({expected:?}), got {other:?}"),
    }
}

#[tokio::test]
async fn a_search_returns_typed_destinations() {
    let sim = sim().await;

    let found = client(&sim)
        .search_destinations("sinduharjo")
        .await
        .unwrap();

    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, SINDUHARJO);
    assert_eq!(
        found[0].label,
        "SINDUHARJO, NGAGLIK, SLEMAN, DI YOGYAKARTA, 55581"
    );
    assert_eq!(found[0].city_name, "SLEMAN");
    assert_eq!(found[0].zip_code, "55581");
}

#[tokio::test]
async fn the_same_search_is_answered_from_the_cache() {
    let sim = sim().await;
    let client = client(&sim);

    let first = client.search_destinations("Jakarta Selatan").await.unwrap();
    let again = client
        .clone()
        .search_destinations("  jakarta   SELATAN ")
        .await
        .unwrap();

    assert_eq!(first, again);
    assert_eq!(first.len(), 2);
    assert_eq!(sim.calls().len(), 1);
    assert!(sim.calls()[0].path.contains("search=jakarta+selatan"));
}

#[tokio::test]
async fn no_match_is_an_empty_list_and_is_cached_too() {
    let sim = sim().await;
    let client = client(&sim);

    let first = client.search_destinations("atlantis").await.unwrap();
    let again = client.search_destinations("atlantis").await.unwrap();

    assert!(first.is_empty() && again.is_empty());
    assert_eq!(sim.calls().len(), 1);
}

#[tokio::test]
async fn a_failed_search_is_not_cached() {
    let sim = sim().await;
    let client = client(&sim);
    sim.fail_next(1, 500);

    let failed = client.search_destinations("medan").await.unwrap_err();
    let retried = client.search_destinations("medan").await.unwrap();

    assert_unavailable(&failed, UnavailableCause::ServerError(500));
    assert_eq!(retried.len(), 1);
    assert_eq!(sim.calls().len(), 2);
}

#[tokio::test]
async fn a_blank_search_is_rejected_without_a_call() {
    let sim = sim().await;

    let error = client(&sim).search_destinations("   ").await.unwrap_err();

    assert_rejected(&error, RejectReason::InvalidRequest);
    assert!(sim.calls().is_empty());
}

#[tokio::test]
async fn a_quote_lists_every_service_cheapest_first() {
    let sim = sim().await;

    let services = client(&sim)
        .quote(GAMBIR, DAGO, 1700, &["jne", "jnt"])
        .await
        .unwrap();

    assert_eq!(services.len(), 4);
    assert!(services.windows(2).all(|w| w[0].cost <= w[1].cost));
    let ez: &CourierService = services.iter().find(|s| s.courier == "jnt").unwrap();
    assert_eq!(ez.service, "EZ");
    assert_eq!(ez.courier_name, "J&T Express");
    assert_eq!(ez.etd, "");
    let call = &sim.calls()[0];
    assert_eq!(
        (call.method.as_str(), call.path.as_str()),
        ("POST", "/api/v1/calculate/domestic-cost")
    );
}

#[tokio::test]
async fn the_weight_is_sent_in_grams() {
    let sim = sim().await;
    let client = client(&sim);
    let reg = |services: Vec<CourierService>| {
        services
            .into_iter()
            .find(|s| s.service == "REG")
            .unwrap()
            .cost
    };

    let one_kg = reg(client.quote(GAMBIR, DAGO, 1000, &["jne"]).await.unwrap());
    let over_one_kg = reg(client.quote(GAMBIR, DAGO, 1001, &["jne"]).await.unwrap());

    assert_eq!(over_one_kg, 2 * one_kg);
}

#[tokio::test]
async fn a_courier_with_no_service_gives_an_empty_quote() {
    let sim = sim().await;
    sim.set_courier_empty("jne", true);

    let services = client(&sim)
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap();

    assert!(services.is_empty());
}

#[tokio::test]
async fn an_unknown_location_or_courier_is_rejected() {
    let sim = sim().await;
    let client = client(&sim);

    let unknown_place = client
        .quote(GAMBIR, 99999, 1000, &["jne"])
        .await
        .unwrap_err();
    let unknown_courier = client
        .quote(GAMBIR, DAGO, 1000, &["fedex"])
        .await
        .unwrap_err();

    assert_rejected(&unknown_place, RejectReason::UnknownLocation);
    assert_rejected(&unknown_courier, RejectReason::InvalidRequest);
    assert!(!unknown_place.is_transient());
    // The simulator said "destination not found" and "invalid courier fedex"; neither leaks.
    for error in [&unknown_place, &unknown_courier] {
        let printed = format!("{error} {error:?} {}", error.client_message());
        assert!(
            !printed.contains("not found") && !printed.contains("fedex"),
            "{printed}"
        );
    }
}

#[tokio::test]
async fn bad_input_is_rejected_before_any_call() {
    let sim = sim().await;
    let client = client(&sim);

    let zero = client.quote(GAMBIR, DAGO, 0, &["jne"]).await.unwrap_err();
    let none = client.quote(GAMBIR, DAGO, 1000, &[]).await.unwrap_err();
    let smuggled = client
        .quote(GAMBIR, DAGO, 1000, &["jne:pos"])
        .await
        .unwrap_err();

    for error in [zero, none, smuggled] {
        assert_rejected(&error, RejectReason::InvalidRequest);
    }
    assert!(sim.calls().is_empty());
}

#[tokio::test]
async fn a_wrong_key_is_unavailable_and_never_printed() {
    let sim = sim().await;
    let wrong = "wrong-key-SECRET-987";

    let error = client_with(&sim, wrong, Duration::from_secs(5))
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();

    assert_unavailable(&error, UnavailableCause::KeyRejected);
    assert!(!format!("{error:?}").contains(wrong));
    assert!(!error.to_string().contains(wrong));
}

#[tokio::test]
async fn server_errors_are_unavailable_even_as_html() {
    let sim = sim().await;
    let client = client(&sim);
    sim.fail_next(1, 500);
    sim.fail_next(1, 503);

    let in_envelope = client
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();
    let from_gateway = client
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();

    assert_unavailable(&in_envelope, UnavailableCause::ServerError(500));
    assert_unavailable(&from_gateway, UnavailableCause::ServerError(503));
    assert!(from_gateway.is_transient());
    assert_eq!(
        from_gateway.to_string(),
        "shipping rates are unavailable right now"
    );
}

#[tokio::test]
async fn a_429_is_unavailable_with_retry_after_when_given() {
    let sim = sim().await;
    let client = client(&sim);
    sim.rate_limit_next(1, Some(Duration::from_secs(30)));

    let with_header = client
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();
    sim.rate_limit_next(1, None);
    let without = client.search_destinations("bandung").await.unwrap_err();

    assert_unavailable(&with_header, UnavailableCause::RateLimited);
    assert_eq!(with_header.retry_after(), Some(Duration::from_secs(30)));
    assert_unavailable(&without, UnavailableCause::RateLimited);
    assert_eq!(without.retry_after(), None);
}

#[tokio::test]
async fn a_used_up_quota_is_rate_limited() {
    let sim = sim_with_quota(Some(0)).await;

    let error = client(&sim)
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();

    assert_unavailable(&error, UnavailableCause::RateLimited);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let sim = sim().await;
    sim.set_latency(Duration::from_secs(30));

    let error = client_with(&sim, KEY, Duration::from_millis(200))
        .quote(GAMBIR, DAGO, 1000, &["jne"])
        .await
        .unwrap_err();

    assert_unavailable(&error, UnavailableCause::Timeout);
}

#[tokio::test]
async fn nobody_listening_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1", listener.local_addr().unwrap());
    drop(listener);
    let client = RajaOngkir::new(RajaOngkirSettings::new(KEY, url)).unwrap();

    let error = client.search_destinations("bandung").await.unwrap_err();

    assert_unavailable(&error, UnavailableCause::Unreachable);
}

#[tokio::test]
async fn a_base_url_without_api_v1_is_an_invalid_response_not_an_empty_search() {
    let sim = sim().await;
    let client = RajaOngkir::new(RajaOngkirSettings::new(KEY, sim.base_url())).unwrap();

    let error = client.search_destinations("bandung").await.unwrap_err();

    assert!(
        matches!(error, ShippingError::InvalidResponse { .. }),
        "{error:?}"
    );
}
