//! `/v1/me` through the real binaries: reading and changing one's own profile (phone
//! normalisation and rejection, locale), who may (nobody else, nobody without a token),
//! concurrent changes, the password change that ends every other session, and the avatar
//! (a hostile file refused, a square thumbnail made and served).

use std::time::{Duration, Instant};

use pasar_tests::stack::Stack;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::images::files::{bomb, jpeg};
use crate::images::support::served;

const PASSWORD: &str = "the-first-password";

/// A new buyer's session: (customer id, access token, refresh token, email).
async fn signed_up(stack: &Stack) -> (Uuid, String, String, String) {
    let email = format!("ani-{}@pasar.test", Uuid::new_v4().simple());
    let body = json!({ "email": email, "password": PASSWORD, "full_name": "Ani" });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "register: {body}");
    let text = |k: &str| body[k].as_str().unwrap().to_owned();
    let id = body["user"]["id"].as_str().unwrap().parse().unwrap();
    (id, text("access_token"), text("refresh_token"), email)
}

/// Logs in again (another device): (access token, refresh token), or the failure's status.
async fn login(stack: &Stack, email: &str, password: &str) -> Result<(String, String), StatusCode> {
    let body = json!({ "email": email, "password": password });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(body))
        .await;
    if status != StatusCode::OK {
        return Err(status);
    }
    let text = |k: &str| body[k].as_str().unwrap().to_owned();
    Ok((text("access_token"), text("refresh_token")))
}

async fn refresh(stack: &Stack, refresh_token: &str) -> StatusCode {
    let body = json!({ "refresh_token": refresh_token });
    let (status, _, _) = stack
        .command(Method::POST, "/v1/auth/refresh", None, Some(body))
        .await;
    status
}

async fn me(stack: &Stack, token: &str) -> Value {
    let (status, body, _) = stack
        .command(Method::GET, "/v1/me", Some(token), None)
        .await;
    assert_eq!(status, StatusCode::OK, "GET /v1/me: {body}");
    body
}

async fn patch_me(stack: &Stack, token: Option<&str>, body: Value) -> (StatusCode, Value) {
    let (status, body, _) = stack
        .command(Method::PATCH, "/v1/me", token, Some(body))
        .await;
    (status, body)
}

#[tokio::test]
async fn a_profile_is_read_and_changed_by_its_owner_only() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (ani, token, _, email) = signed_up(&stack).await;

    // Act
    let before = me(&stack, &token).await;
    let change = json!({ "full_name": " Ani Lestari ", "phone": "0812-3456-7890", "locale": "en" });
    let (status, after) = patch_me(&stack, Some(&token), change).await;

    // Assert
    assert_eq!(before["id"], json!(ani));
    assert_eq!(before["email"], email);
    assert_eq!(
        (before["phone"].clone(), before["locale"].clone()),
        (Value::Null, json!("id"))
    );
    assert_eq!(before["role"], "buyer");
    assert!(
        before["avatar"].is_null() && before["created_at"].is_string(),
        "{before}"
    );
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["full_name"], "Ani Lestari");
    assert_eq!(after["phone"], "+6281234567890");
    assert_eq!(after["locale"], "en");
    assert!(after["consistency_token"].is_string());
    let events = stack.stream_events(&format!("customer-{ani}")).await;
    let updated: Vec<&Value> = events
        .iter()
        .filter(|(t, _)| t == "CustomerProfileUpdated")
        .map(|(_, d)| d)
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["full_name"], "Ani Lestari");
    assert_eq!(updated[0]["phone"], "+6281234567890");
    assert_eq!(updated[0]["locale"], "en");
    // The same values again record nothing.
    let (status, _) = patch_me(&stack, Some(&token), json!({ "phone": "+6281234567890" })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stack.stream_events(&format!("customer-{ani}")).await.len(),
        events.len()
    );
}

#[tokio::test]
async fn nobody_else_sees_a_profile_and_nobody_without_a_token_sees_any() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (ani, token, _, _) = signed_up(&stack).await;
    let (status, _) = patch_me(&stack, Some(&token), json!({ "phone": "081234567890" })).await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;
    let admin = stack.admin_token().await;

    // Act + Assert: everyone else sees only themselves.
    for (who, token) in [("buyer", &other), ("seller", &seller), ("admin", &admin)] {
        let theirs = me(&stack, token).await;
        assert_ne!(theirs["id"], json!(ani), "{who}");
        assert_eq!(theirs["role"], who);
        assert!(theirs["phone"].is_null(), "{who}: {theirs}");
    }
    for (method, path) in [
        (Method::GET, "/v1/me"),
        (Method::PATCH, "/v1/me"),
        (Method::POST, "/v1/me/password"),
        (Method::PUT, "/v1/me/avatar"),
    ] {
        let (status, body, _) = stack
            .command(method.clone(), path, None, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
    }
    assert_eq!(me(&stack, &token).await["phone"], "+6281234567890");
}

/// Indonesian mobile numbers as people write them, and what `PATCH /v1/me` stores.
const ACCEPTED_PHONES: [(&str, &str); 4] = [
    ("08123456789", "+628123456789"),
    ("628123456789", "+628123456789"),
    ("+62 812 3456 7890", "+6281234567890"),
    ("0812.3456.789", "+628123456789"),
];

/// Not Indonesian mobile numbers.
const REFUSED_PHONES: [&str; 7] = [
    "021-555-1234",
    "+6512345678",
    "0812",
    "08123456789012345",
    "phone: 0812345678",
    "+0812345678",
    "0812\u{7}345678",
];

#[tokio::test]
async fn phone_numbers_are_normalised_and_anything_else_is_refused_naming_the_field() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (ani, token, _, _) = signed_up(&stack).await;

    for (raw, normalised) in ACCEPTED_PHONES {
        // Act
        let (status, body) = patch_me(&stack, Some(&token), json!({ "phone": raw })).await;
        // Assert
        assert_eq!(status, StatusCode::OK, "{raw}: {body}");
        assert_eq!(body["phone"], normalised, "{raw}");
    }
    let events_before = stack.stream_events(&format!("customer-{ani}")).await.len();
    for raw in REFUSED_PHONES {
        let (status, body) = patch_me(&stack, Some(&token), json!({ "phone": raw })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{raw}: {body}");
        assert_eq!(body["errors"][0]["field"], "phone", "{raw}: {body}");
    }
    for (body, field) in [
        (json!({ "locale": "fr" }), "locale"),
        (json!({ "full_name": "  " }), "full_name"),
        (json!({ "full_name": "x".repeat(101) }), "full_name"),
    ] {
        let (status, answer) = patch_me(&stack, Some(&token), body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    }
    let (status, _) = patch_me(&stack, Some(&token), json!({ "email": "x@example.com" })).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let events_after = stack.stream_events(&format!("customer-{ani}")).await.len();
    assert_eq!(
        events_after, events_before,
        "a refused change records nothing"
    );
    assert_eq!(me(&stack, &token).await["phone"], "+628123456789");
    // `null` removes the phone.
    let (status, body) = patch_me(&stack, Some(&token), json!({ "phone": null })).await;
    assert_eq!(
        (status, body["phone"].clone()),
        (StatusCode::OK, Value::Null)
    );
}

#[tokio::test]
async fn concurrent_changes_of_different_fields_all_land() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (_, token, _, _) = signed_up(&stack).await;
    let changes = [
        json!({ "full_name": "Ani Lestari" }),
        json!({ "phone": "081234567890" }),
        json!({ "locale": "en" }),
    ];

    // Act
    let answers = futures::future::join_all(
        changes
            .iter()
            .map(|change| patch_me(&stack, Some(&token), change.clone())),
    )
    .await;

    // Assert
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let after = me(&stack, &token).await;
    assert_eq!(after["full_name"], "Ani Lestari");
    assert_eq!(after["phone"], "+6281234567890");
    assert_eq!(after["locale"], "en");
}

async fn change_password(
    stack: &Stack,
    token: &str,
    current: &str,
    new: &str,
) -> (StatusCode, Value) {
    let body = json!({ "current_password": current, "new_password": new });
    let (status, body, _) = stack
        .command(Method::POST, "/v1/me/password", Some(token), Some(body))
        .await;
    (status, body)
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_other_session() {
    // Arrange: the same buyer signed in on two devices, and another buyer.
    let stack = Stack::start().await.unwrap();
    let (ani, phone_access, phone_refresh, email) = signed_up(&stack).await;
    let (_, laptop_refresh) = login(&stack, &email, PASSWORD).await.unwrap();
    let (_, other) = stack.register("buyer").await;
    let new_password = "a-brand-new-password";

    // Act
    let wrong = change_password(&stack, &phone_access, "not-the-password", new_password).await;
    let short = change_password(&stack, &phone_access, PASSWORD, "short").await;
    let (status, body) = change_password(&stack, &phone_access, PASSWORD, new_password).await;

    // Assert
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED, "{}", wrong.1);
    assert_eq!(short.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", short.1);
    assert_eq!(short.1["errors"][0]["field"], "new_password");
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], json!(ani));
    assert_eq!(
        refresh(&stack, &laptop_refresh).await,
        StatusCode::UNAUTHORIZED,
        "the other device's refresh token stops working"
    );
    assert_eq!(
        refresh(&stack, &phone_refresh).await,
        StatusCode::OK,
        "the caller's own session goes on"
    );
    assert_eq!(
        login(&stack, &email, PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );
    assert!(login(&stack, &email, new_password).await.is_ok());
    let events = stack.stream_events(&format!("customer-{ani}")).await;
    let changed = events.iter().find(|(t, _)| t == "PasswordChanged").unwrap();
    assert!(
        changed.1["password_hash"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$")
    );
    assert!(
        events
            .iter()
            .any(|(t, d)| t == "SessionRevoked" && d["reason"] == "password changed")
    );
    // Another buyer's token changes only its own account: its password is not Ani's.
    let (status, _) = change_password(&stack, &other, new_password, "yet-another-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(login(&stack, &email, new_password).await.is_ok());
}

async fn put_avatar(stack: &Stack, token: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let part = Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("image/jpeg")
        .unwrap();
    let form = Form::new().part("file", part);
    let url = format!("{}/v1/me/avatar", stack.command_url);
    let response = stack
        .http
        .put(url)
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_avatar_is_checked_like_a_product_image_and_gets_a_square_thumbnail() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let (ani, token, _, _) = signed_up(&stack).await;
    let hostile: [(&str, Vec<u8>, StatusCode); 3] = [
        (
            "me.jpg",
            b"<!doctype html><script>alert(1)</script>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "me.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("bomb.png", bomb(), StatusCode::UNPROCESSABLE_ENTITY),
    ];

    // Act + Assert: hostile files change nothing.
    for (name, bytes, expected) in hostile {
        let (status, body) = put_avatar(&stack, &token, name, bytes).await;
        assert_eq!(status, expected, "{name}: {body}");
    }
    assert!(me(&stack, &token).await["avatar"].is_null());
    let (status, body) = put_avatar(&stack, &token, "me.jpg", jpeg(600, 400, 5)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["avatar"]["processing"], true);
    assert_eq!(
        (
            body["avatar"]["width"].clone(),
            body["avatar"]["height"].clone()
        ),
        (json!(600), json!(400))
    );
    let url = body["avatar"]["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/v1/media/images/"), "{url}");
    let thumbnail = until_thumbnail(&stack, &token).await;
    let served_thumbnail = served(&stack, &thumbnail, "image/jpeg").await;
    let decoded = image::load_from_memory(&served_thumbnail).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 256));
    served(&stack, &url, "image/jpeg").await;
    let events = stack.stream_events(&format!("customer-{ani}")).await;
    let made = events
        .iter()
        .filter(|(t, _)| t == "AvatarThumbnailMade")
        .count();
    assert_eq!(made, 1);
}

/// The avatar's thumbnail URL once made (up to 60 s on a busy machine).
async fn until_thumbnail(stack: &Stack, token: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let avatar = me(stack, token).await["avatar"].clone();
        if let Some(url) = avatar["thumbnail_url"].as_str() {
            assert_eq!(avatar["processing"], false);
            return url.to_owned();
        }
        assert!(Instant::now() < deadline, "no avatar thumbnail: {avatar}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
