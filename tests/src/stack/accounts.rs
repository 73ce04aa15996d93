//! Accounts for tests: fresh registrations, and the first admin's token.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use super::Stack;

impl Stack {
    /// Registers a fresh account with `role` and returns (user id, access token).
    /// Password hashing is bounded per core, so a burst of registrations may be answered 503
    /// with `Retry-After`; like a well-behaved client, this retries those (for up to 60 s).
    pub async fn register(&self, role: &str) -> (Uuid, String) {
        let email = format!("{role}-{}@pasar.test", Uuid::new_v4().simple());
        let body = json!({ "email": email, "password": "a-long-password", "full_name": format!("Test {role}"), "role": role });
        let deadline = Instant::now() + Duration::from_secs(60);
        let (status, body) = loop {
            let (status, answer, _) = self
                .command(Method::POST, "/v1/auth/register", None, Some(body.clone()))
                .await;
            if status != StatusCode::SERVICE_UNAVAILABLE || Instant::now() > deadline {
                break (status, answer);
            }
            let jitter = u64::from(Uuid::new_v4().as_u128() as u8);
            tokio::time::sleep(Duration::from_millis(200 + jitter)).await;
        };
        assert_eq!(status, StatusCode::CREATED, "register: {body}");
        (
            body["user"]["id"].as_str().unwrap().parse().unwrap(),
            body["access_token"].as_str().unwrap().to_owned(),
        )
    }

    /// An access token of the first admin (`PASAR_ADMIN_EMAIL`, set up at start).
    pub async fn admin_token(&self) -> String {
        let login = json!({ "email": "admin@pasar.test", "password": "admin-password-123" });
        let (status, body, _) = self
            .command(Method::POST, "/v1/auth/login", None, Some(login))
            .await;
        assert_eq!(status, StatusCode::OK, "admin login: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}
