//! Issue 7 item 5: the real binaries refuse to start without their secrets (or with a short
//! one), naming the variable, and the command API starts without a Midtrans key only in
//! development mode.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pasar_tests::stack::{binary, free_port};

const KEY: &str = "e2e-secret-e2e-secret-e2e-secret-0123";

/// Runs `name` with exactly `env` (nothing inherited) on a free port and returns its stderr
/// once it exits; fails if it is still running after 10 s (it started).
fn refused(name: &str, env: &[(&str, &str)]) -> String {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(binary(name).unwrap())
        .env_clear()
        .envs(env.iter().copied())
        .envs([("COMMAND_API_ADDR", &addr), ("QUERY_API_ADDR", &addr)])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("waiting").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name} started with {env:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output: Output = child.wait_with_output().expect("its output");
    assert!(
        !output.status.success(),
        "{name} exited cleanly with {env:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_apis_refuse_to_start_without_jwt_secret() {
    for name in ["command-api", "query-api"] {
        let stderr = refused(name, &[("MIDTRANS_SERVER_KEY", "SB-Mid-server-x")]);
        assert!(stderr.contains("JWT_SECRET"), "{name}: {stderr}");
        let stderr = refused(name, &[("PASAR_ENV", "development")]);
        assert!(
            stderr.contains("JWT_SECRET"),
            "{name} in development: {stderr}"
        );
    }
}

#[test]
fn the_apis_refuse_a_jwt_secret_shorter_than_32_bytes() {
    for name in ["command-api", "query-api"] {
        let stderr = refused(
            name,
            &[
                ("JWT_SECRET", "pasar-dev-secret-change-me"),
                ("MIDTRANS_SERVER_KEY", "SB-Mid-server-x"),
            ],
        );
        assert!(
            stderr.contains("JWT_SECRET") && stderr.contains("32 bytes"),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn the_command_api_refuses_to_start_without_midtrans_server_key_outside_development() {
    let stderr = refused("command-api", &[("JWT_SECRET", KEY)]);
    assert!(stderr.contains("MIDTRANS_SERVER_KEY"), "{stderr}");
}

#[tokio::test]
async fn in_development_the_command_api_starts_with_the_simulators_key() {
    // Arrange
    let base = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let database_url = format!("{base}/pasar_e2e_{}", uuid::Uuid::new_v4().simple());
    let addr = format!("127.0.0.1:{}", free_port());

    // Act
    let mut child = Command::new(binary("command-api").unwrap())
        .env_clear()
        .envs([
            ("PASAR_ENV", "development"),
            ("JWT_SECRET", KEY),
            ("DATABASE_URL", database_url.as_str()),
            ("COMMAND_API_ADDR", addr.as_str()),
            ("REACTORS_ENABLED", "false"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("command-api runs");

    // Assert
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        if let Ok(response) = reqwest::get(format!("http://{addr}/readyz")).await {
            break response.status();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("command-api exited in development mode: {status}");
        }
        assert!(Instant::now() < deadline, "command-api never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready, 200);
}
