//! The API docs pages (`GET /docs`) render in a real browser with no internet: headless
//! Chromium (Debian's `chromium`, installed by `scripts/test`) loads each service's page, whose
//! scripts and styles the service serves itself, and the rendered DOM must show every
//! operation of that service's `/openapi.json`.

use std::process::Stdio;
use std::time::Duration;

use pasar_tests::stack::Stack;
use serde_json::Value;

/// Renders `url` in headless Chromium and returns the DOM once the page's scripts have run.
/// `--virtual-time-budget` lets the page run (fetch the document, render) for up to 20 s of
/// virtual time before the DOM is dumped; the wall-clock bound is the timeout around it.
async fn rendered_dom(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("pasar-chromium-{}", uuid::Uuid::new_v4()));
    let run = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-extensions",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=20000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("chromium finished within 120 s")
        .expect("chromium runs (scripts/test installs Debian's chromium when missing)");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Every `(path, summary)` of the document at `base/openapi.json`.
async fn documented(stack: &Stack, base: &str) -> Vec<(String, String)> {
    let doc: Value = stack
        .http
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            let summary = op["summary"].as_str().unwrap_or_default().to_owned();
            operations.push((path.clone(), summary));
        }
    }
    operations
}

async fn assert_every_operation_renders(stack: &Stack, base: &str, at_least: usize) {
    let operations = documented(stack, base).await;
    assert!(operations.len() >= at_least, "{operations:?}");

    let dom = rendered_dom(&format!("{base}/docs")).await;

    for (path, summary) in &operations {
        assert!(
            dom.contains(&format!("data-path=\"{path}\"")),
            "{path} not rendered by {base}/docs:\n{dom}"
        );
        assert!(
            dom.contains(summary.as_str()),
            "summary {summary:?} not rendered"
        );
    }
}

#[tokio::test]
async fn both_docs_pages_render_every_operation_in_chromium() {
    let stack = Stack::start().await.expect("stack");

    assert_every_operation_renders(&stack, &stack.command_url, 14).await;
    assert_every_operation_renders(&stack, &stack.query_url, 9).await;
    // Spot checks of what a reader looks for.
    let dom = rendered_dom(&format!("{}/docs", stack.command_url)).await;
    for text in ["Check out", "/v1/checkout", "Register", "Pasar command API"] {
        assert!(dom.contains(text), "{text}");
    }
}
