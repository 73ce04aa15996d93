//! What the admin tests share: accounts with their refresh tokens, admin actions, waiting for
//! a token to be refused.

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The password of the accounts made here.
pub const PASSWORD: &str = "a-long-password";

/// How soon every service refuses a suspended account's token: `pasar_service::access`'s
/// staleness bound (2 s), plus room for a loaded test machine.
pub const REFUSAL_BOUND: Duration = Duration::from_secs(3);

/// A fresh account with both its tokens.
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub access: String,
    pub refresh: String,
}

pub async fn registered(stack: &Stack, role: &str) -> Account {
    register_named(stack, role, &format!("Test {role}")).await
}

pub async fn register_named(stack: &Stack, role: &str, full_name: &str) -> Account {
    let email = format!("{role}-{}@pasar.test", Uuid::new_v4().simple());
    let body =
        json!({ "email": email, "password": PASSWORD, "full_name": full_name, "role": role });
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "register: {answer}");
    Account {
        id: answer["user"]["id"].as_str().unwrap().parse().unwrap(),
        email,
        access: answer["access_token"].as_str().unwrap().to_owned(),
        refresh: answer["refresh_token"].as_str().unwrap().to_owned(),
    }
}

pub fn user_path(user: Uuid, action: &str) -> String {
    format!("/v1/admin/users/{user}/{action}")
}

/// `POST /v1/admin/users/{user}/{action}` as `admin`.
pub async fn admin_action(
    stack: &Stack,
    admin: &str,
    user: Uuid,
    action: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let path = user_path(user, action);
    let (status, answer, _) = stack.command(Method::POST, &path, Some(admin), body).await;
    (status, answer)
}

/// Polls both APIs with `token` until each refuses it (401), failing if that takes longer
/// than [`REFUSAL_BOUND`] from `since`.
pub async fn eventually_refused(stack: &Stack, token: &str, since: Instant) {
    loop {
        let (query, _) = stack.query("/v1/orders", Some(token), None).await;
        let (command, _, _) = stack
            .command(
                Method::GET,
                "/v1/shipping/destinations?search=dago",
                Some(token),
                None,
            )
            .await;
        if query == StatusCode::UNAUTHORIZED && command == StatusCode::UNAUTHORIZED {
            return;
        }
        assert!(
            since.elapsed() < REFUSAL_BOUND,
            "still accepted after {:?}: query {query}, command {command}",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ids `GET /v1/search?{query}` finds, read after `token`.
pub async fn search_ids(stack: &Stack, query: &str, token: &str) -> Vec<Uuid> {
    let (status, body) = stack
        .query(&format!("/v1/search?{query}"), None, Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "search {query}: {body}");
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().parse().unwrap())
        .collect()
}
