//! `/metrics` of a real command API: requests are labelled by route template and known
//! method only, in this instance's own registry.

use std::time::Duration;

use pasar_command_api::Config;
use pasar_service::Env;

/// A command API on a fresh database and port 0; returns its base URL and a stop switch.
async fn spawn_app() -> (String, tokio::sync::oneshot::Sender<()>) {
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let database_url = format!("{base}/pasar_cmd_{}", uuid::Uuid::new_v4().simple());
    let config = Config::read(&Env::from_lookup(move |name| match name {
        "DATABASE_URL" => Some(database_url.clone()),
        "JWT_SECRET" => Some("metrics-test-metrics-test-metrics-test".into()),
        "MIDTRANS_SERVER_KEY" => Some("SB-Mid-server-metrics-test".into()),
        "REACTORS_ENABLED" => Some("false".into()),
        _ => None,
    }))
    .expect("config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(pasar_command_api::run(config, listener, async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    for _ in 0..200 {
        if http.get(format!("{url}/healthz")).send().await.is_ok() {
            return (url, stop);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the command API did not come up");
}

#[tokio::test]
async fn invented_methods_add_no_lines_to_metrics() {
    let (url, _stop) = spawn_app().await;

    let after = pasar_service::testing::invented_methods_add_no_lines(
        &url,
        &["/healthz", "/v1/cart/items"],
    )
    .await;

    assert!(
        after.contains(
            r#"pasar_http_requests_total{method="other",route="/healthz",status="405"} 101"#
        ),
        "{after}"
    );
}
