//! Password guessing: failed logins are throttled per account with `429` and `Retry-After`
//! (issue 7, item 6). The memory side is measured by `pasar-bench logins`.

use pasar_tests::stack::Stack;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Logs in and returns the status and the `Retry-After` header, if any.
async fn login(stack: &Stack, email: &str, password: &str) -> (StatusCode, Option<u64>) {
    let response = stack
        .http
        .post(format!("{}/v1/auth/login", stack.command_url))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login sent");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (response.status(), retry_after)
}

#[tokio::test]
async fn repeated_failed_logins_are_throttled_with_retry_after() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let email = format!("guessed-{}@pasar.test", uuid::Uuid::new_v4().simple());
    let body = json!({ "email": email, "password": "a-long-password", "full_name": "Guessed" });
    let (status, body, _) = stack
        .command(reqwest::Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Act: five free failures, a sixth that starts a block, then a seventh inside it.
    let mut answers = Vec::new();
    for i in 0..7 {
        answers.push(login(&stack, &email, &format!("wrong-password-{i}")).await);
    }
    let right_password_while_blocked = login(&stack, &email, "a-long-password").await;

    // Assert
    assert_eq!(answers[..6], [(StatusCode::UNAUTHORIZED, None); 6]);
    assert_eq!(answers[6], (StatusCode::TOO_MANY_REQUESTS, Some(1)));
    assert_eq!(
        right_password_while_blocked.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_throttled_login_is_a_problem_document() {
    let stack = Stack::start().await.unwrap();
    let email = format!("nobody-{}@pasar.test", uuid::Uuid::new_v4().simple());
    for i in 0..6 {
        let (status, _) = login(&stack, &email, &format!("guess-{i}")).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "unknown accounts are throttled too"
        );
    }

    let (status, body, _) = stack
        .command(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({ "email": email.to_uppercase(), "password": "guess" })),
        )
        .await;

    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the email is normalised"
    );
    assert_eq!(body["status"], Value::from(429));
}
