//! Contract test: schemathesis (from PyPI, installed by `scripts/test`) fuzzes both APIs from
//! their own `/openapi.json`, on the real binaries over a seeded database with valid tokens, and
//! must find no server error, no answer that breaks the documented schema, content type or
//! headers, and no undocumented status code.
//!
//! Each run's report goes to `$TMPDIR/pasar-contract/<run>.txt`; `scripts/test` prints their
//! summaries so they are in CI's output. `SCHEMATHESIS_EXAMPLES` (default 50: about a minute here) bounds the
//! examples per operation; the seed is fixed so a failure reproduces.
//!
//! Checks: `all`, except `positive_data_acceptance`, which expects every schema-valid request
//! to be accepted. JSON Schema states the shape of a request, not every rule behind it: an
//! email that is not an address, a SKU outside its alphabet, control characters in a name, an
//! unknown product id, a quantity above what a cart allows. Those answer 422 (or 404) naming
//! the field, which is documented on each operation; writing every domain rule into the schema
//! would make the domain's rules live in two places.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

const SEED: &str = "20261130";

/// The report directory `scripts/test` reads.
fn report_dir() -> PathBuf {
    std::env::temp_dir().join("pasar-contract")
}

struct Seeded {
    buyer: String,
    seller: String,
    admin: String,
    /// The buyer's last write, so reads wait for the seed (and never for a fuzzed position).
    consistency: String,
}

async fn seed(stack: &Stack) -> Seeded {
    let (_, seller) = stack.register("seller").await;
    let (_, buyer) = stack.register("buyer").await;
    let sku = format!("KOPI-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let product = json!({ "sku": sku, "name": "Kopi Gayo 250 g", "description": "Arabica",
                          "price": 75000, "weight_grams": 250, "brand": "Gayo" });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/products", Some(&seller), Some(product))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let product_id = body["id"].as_str().unwrap().to_owned();
    let receipt = format!("/v1/inventory/{product_id}/receipts");
    let (status, body, _) = stack
        .command(
            Method::POST,
            &receipt,
            Some(&seller),
            Some(json!({ "quantity": 50 })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let line = json!({ "product_id": product_id, "quantity": 2 });
    let (status, body, consistency) = stack
        .command(Method::POST, "/v1/cart/items", Some(&buyer), Some(line))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let login = json!({ "email": "admin@pasar.test", "password": "admin-password-123" });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Seeded {
        buyer,
        seller,
        admin: body["access_token"].as_str().unwrap().to_owned(),
        consistency: consistency.expect("a consistency token"),
    }
}

/// Runs schemathesis against `base`'s document with `args`; returns its exit success and report.
async fn schemathesis(name: &str, base: &str, token: &str, args: &[&str]) -> (bool, String) {
    let examples = std::env::var("SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "50".into());
    // schemathesis keeps a cache of earlier runs' failures in `.schemathesis/` under its
    // working directory and replays them first; a fresh one per run keeps runs independent.
    let workdir = report_dir().join(format!("{name}.work"));
    let _ = std::fs::remove_dir_all(&workdir);
    std::fs::create_dir_all(&workdir).unwrap();
    let mut command = tokio::process::Command::new("schemathesis");
    command
        .current_dir(&workdir)
        .args(["run", &format!("{base}/openapi.json")])
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", &examples, "--seed", SEED])
        .args(["--wait-for-schema", "30", "--request-timeout", "30"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(args)
        // No colours or progress bars in a log; no telemetry from CI.
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(600), command.output())
        .await
        .expect("schemathesis finished within 10 minutes")
        .expect("schemathesis runs (scripts/test installs it from PyPI when missing)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(report_dir().join(format!("{name}.txt")), &report).unwrap();
    (output.status.success(), report)
}

#[tokio::test]
async fn schemathesis_finds_nothing_in_either_api() {
    // Fuzzing makes the services warn a lot (bad signatures, reused refresh tokens): only
    // errors reach the log unless E2E_LOG asks for more. Reads carrying a consistency token
    // wait at most 2 s (schemathesis sends the seed's).
    let log = std::env::var("E2E_LOG").unwrap_or_else(|_| "error".into());
    let stack = Stack::start_with(&[("CONSISTENCY_WAIT_MS", "2000"), ("RUST_LOG", &log)])
        .await
        .expect("stack");
    let seeded = seed(&stack).await;
    let consistency = format!("X-Consistency-Token: {}", seeded.consistency);

    let runs = [
        // Every command as a buyer (cart, checkout; 403 elsewhere)…
        (
            "command-api-buyer",
            &stack.command_url,
            &seeded.buyer,
            vec![],
        ),
        // … the admin's tools as an admin (random account ids: 404, the admin's own: 422)…
        (
            "command-api-admin",
            &stack.command_url,
            &seeded.admin,
            vec!["--include-tag", "admin"],
        ),
        // … and the catalog as a seller.
        (
            "command-api-seller",
            &stack.command_url,
            &seeded.seller,
            vec!["--include-tag", "catalog"],
        ),
        // Every read as a buyer. The consistency token is fixed to the seed's: a fuzzed
        // position ahead of the log is waited for and answered 503 `Not yet consistent` (as
        // documented), which would only measure the wait; malformed tokens are covered by the
        // query API's own tests.
        (
            "query-api-buyer",
            &stack.query_url,
            &seeded.buyer,
            vec!["--header", consistency.as_str()],
        ),
        // Orders, projections and the accounts list as an admin.
        (
            "query-api-admin",
            &stack.query_url,
            &seeded.admin,
            vec![
                "--header",
                consistency.as_str(),
                "--include-path-regex",
                "^/v1/(orders|projections|admin/customers)",
            ],
        ),
    ];
    let mut failed = Vec::new();
    for (name, base, token, args) in runs {
        let (ok, report) = schemathesis(name, base, token, &args).await;
        if !ok {
            failed.push(format!("==== {name} ====\n{report}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
