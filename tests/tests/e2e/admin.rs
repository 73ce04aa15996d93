//! An admin's tools through the real binaries: who may use them (an admin; a buyer or a seller
//! 403, nobody 401), bad input refused naming the field with nothing recorded; a suspended
//! buyer's access token refused by both APIs within the stated bound, refresh and sign-in
//! refused, their unpaid checkout cancelled; a suspended seller's product gone from listings,
//! its page and search, and back on reinstatement; a role change outdating the old token;
//! parallel suspensions recording one; the accounts list; `command-api admin create`.

mod cli;
pub mod support;

use std::time::Instant;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{buy, listed_product, order_id};
use support::{admin_action, eventually_refused, registered, search_ids, user_path};

#[tokio::test]
async fn admin_actions_are_for_admins_only_and_refuse_bad_input() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let target = registered(&stack, "buyer").await;
    // Act / Assert
    assert_only_admins_may(&stack, target.id).await;
    assert_bad_input_is_refused(&stack, &admin, target.id).await;
    // Nothing of it was recorded on the target's account.
    let events = stack
        .stream_events(&format!("customer-{}", target.id))
        .await;
    let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["CustomerRegistered", "SessionStarted"], "{types:?}");
}

/// Nobody 401, a buyer or a seller 403, on every admin route.
async fn assert_only_admins_may(stack: &Stack, target: Uuid) {
    let (_, buyer) = stack.register("buyer").await;
    let (_, seller) = stack.register("seller").await;
    let callers = [
        (None, StatusCode::UNAUTHORIZED),
        (Some(buyer.as_str()), StatusCode::FORBIDDEN),
        (Some(seller.as_str()), StatusCode::FORBIDDEN),
    ];
    let actions = [
        ("suspend", Some(json!({ "reason": "spam" }))),
        ("reinstate", None),
        ("role", Some(json!({ "role": "seller" }))),
    ];
    for (action, body) in &actions {
        let path = user_path(target, action);
        for (token, expected) in callers {
            let (status, answer, _) = stack
                .command(Method::POST, &path, token, body.clone())
                .await;
            assert_eq!(status, expected, "{action} by {token:?}: {answer}");
        }
    }
    for (token, expected) in callers {
        let (status, answer) = stack.query("/v1/admin/customers", token, None).await;
        assert_eq!(status, expected, "customers by {token:?}: {answer}");
    }
}

/// Bad fields are named; an admin's own account and an unknown one are refused.
async fn assert_bad_input_is_refused(stack: &Stack, admin: &str, target: Uuid) {
    for (action, body, field) in [
        ("suspend", json!({ "reason": "   " }), "reason"),
        ("suspend", json!({ "reason": "x".repeat(501) }), "reason"),
        ("suspend", json!({ "reason": "bad\u{7}bell" }), "reason"),
        ("role", json!({ "role": "superuser" }), "role"),
    ] {
        let (status, answer) = admin_action(stack, admin, target, action, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["errors"][0]["field"], field, "{answer}");
    }
    let own = Some(json!({ "reason": "oops" }));
    let admin_id = admin_id(stack, admin).await;
    let (status, answer) = admin_action(stack, admin, admin_id, "suspend", own).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    let nobody = Some(json!({ "reason": "who" }));
    let (status, answer) = admin_action(stack, admin, Uuid::new_v4(), "suspend", nobody).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    let (status, answer) = stack
        .query("/v1/admin/customers?role=wizard", Some(admin), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "role", "{answer}");
}

#[tokio::test]
async fn a_suspended_buyer_is_refused_at_once_and_their_unpaid_checkout_is_cancelled() {
    // Arrange: a buyer with a session and an unpaid checkout.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let listed = listed_product(&stack, 20_000, 5).await;
    let buyer = registered(&stack, "buyer").await;
    let (status, placed) = buy(&stack, &buyer.access, listed.product_id, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{placed}");
    let order = order_id(&placed);
    // Act
    let reason = Some(json!({ "reason": "chargeback fraud" }));
    let suspended_at = Instant::now();
    let (status, answer) = admin_action(&stack, &admin, buyer.id, "suspend", reason).await;
    // Assert: the account is suspended, its token refused by both APIs within the bound.
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "suspended", "{answer}");
    assert_eq!(answer["suspension_reason"], "chargeback fraud", "{answer}");
    eventually_refused(&stack, &buyer.access, suspended_at).await;
    let (status, _, _) = stack
        .command(
            Method::POST,
            "/v1/cart/items",
            Some(&buyer.access),
            Some(json!({ "product_id": listed.product_id, "quantity": 1 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let login = json!({ "email": buyer.email, "password": support::PASSWORD });
    assert_sign_in_refused(&stack, &buyer.refresh, &login).await;
    // … and the unpaid checkout is cancelled by the account-access processor, its unit back.
    assert_cancelled(&stack, &admin, &order, listed.product_id, 5).await;
    // Reinstated, the buyer signs in again (the old refresh token stays revoked).
    let (status, answer) = admin_action(&stack, &admin, buyer.id, "reinstate", None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["state"], "active", "{answer}");
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "login after reinstatement: {answer}"
    );
    let fresh = answer["access_token"].as_str().unwrap();
    let (status, _) = stack.query("/v1/cart", Some(fresh), None).await;
    assert_eq!(status, StatusCode::OK);
}

/// Refresh and login answer 403 while the account is suspended.
async fn assert_sign_in_refused(stack: &Stack, refresh_token: &str, login: &Value) {
    let refresh = json!({ "refresh_token": refresh_token });
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/auth/refresh", None, Some(refresh))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "refresh: {answer}");
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/auth/login", None, Some(login.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "login: {answer}");
}

/// `order` reads as cancelled (an `OrderCancelled` in its stream) and `product` has
/// `available` units again.
async fn assert_cancelled(stack: &Stack, admin: &str, order: &str, product: Uuid, available: i64) {
    stack
        .eventually(&format!("/v1/orders/{order}"), Some(admin), |o| {
            o["status"] == "cancelled"
        })
        .await;
    stack
        .eventually(&format!("/v1/products/{product}"), None, |p| {
            p["available"] == available
        })
        .await;
    let order_events = stack.stream_events(&format!("order-{order}")).await;
    let cancel = order_events.iter().find(|(t, _)| t == "OrderCancelled");
    assert!(cancel.is_some(), "{order_events:?}");
}

#[tokio::test]
async fn a_suspended_sellers_product_leaves_listings_and_search_and_comes_back_on_reinstatement() {
    // Arrange: a seller's product, listed and found.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let listed = listed_product(&stack, 35_000, 3).await;
    let seller_id = seller_of(&stack, listed.product_id).await;
    let product = format!("/v1/products/{}", listed.product_id);
    let listing = format!("/v1/products?seller={seller_id}");
    let found = format!("q=kaos&seller={seller_id}");
    stack
        .eventually(&listing, None, |b| {
            b["items"].as_array().is_some_and(|i| i.len() == 1)
        })
        .await;
    // Act
    let reason = Some(json!({ "reason": "counterfeit goods" }));
    let (status, answer) = admin_action(&stack, &admin, seller_id, "suspend", reason).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = answer["consistency_token"].as_str().unwrap().to_owned();
    // Assert: gone from the listing, the product page and search (read-your-writes).
    let (status, body) = stack.query(&listing, None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["items"], json!([]), "{body}");
    let (status, _) = stack.query(&product, None, Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(search_ids(&stack, &found, &token).await.is_empty());
    let (status, _, _) = stack
        .command(
            Method::GET,
            "/v1/shipping/destinations?search=dago",
            Some(&listed.seller_token),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the seller's token is refused"
    );
    // Reinstated: back everywhere.
    let (status, answer) = admin_action(&stack, &admin, seller_id, "reinstate", None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let token = answer["consistency_token"].as_str().unwrap().to_owned();
    let (_, body) = stack.query(&listing, None, Some(&token)).await;
    assert_eq!(body["items"][0]["id"], json!(listed.product_id), "{body}");
    let (status, _) = stack.query(&product, None, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        search_ids(&stack, &found, &token).await,
        [listed.product_id]
    );
}

#[tokio::test]
async fn a_role_change_outdates_the_old_token_and_a_refresh_brings_the_new_role() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let user = registered(&stack, "buyer").await;
    // Act
    let role = Some(json!({ "role": "seller" }));
    let changed_at = Instant::now();
    let (status, answer) = admin_action(&stack, &admin, user.id, "role", role.clone()).await;
    // Assert
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["role"], "seller", "{answer}");
    eventually_refused(&stack, &user.access, changed_at).await;
    let refresh = json!({ "refresh_token": user.refresh });
    let (status, answer, _) = stack
        .command(Method::POST, "/v1/auth/refresh", None, Some(refresh))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["user"]["role"], "seller", "{answer}");
    let seller = answer["access_token"].as_str().unwrap();
    let (status, body) = stack
        .query("/v1/seller/dashboard", Some(seller), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The same role again records nothing more.
    let (status, _) = admin_action(&stack, &admin, user.id, "role", role).await;
    assert_eq!(status, StatusCode::OK);
    let events = stack.stream_events(&format!("customer-{}", user.id)).await;
    let changes = events.iter().filter(|(t, _)| t == "RoleChanged").count();
    assert_eq!(changes, 1);
}

#[tokio::test]
async fn parallel_suspensions_record_one() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let user = registered(&stack, "seller").await;
    // Act: eight at once, half with one idempotency key.
    let requests = (0..8).map(|n| {
        let (stack, admin) = (&stack, &admin);
        async move {
            let url = format!("{}{}", stack.command_url, user_path(user.id, "suspend"));
            let key = if n % 2 == 0 { "same-key" } else { "" };
            let headers: Vec<(&str, &str)> = if key.is_empty() {
                vec![]
            } else {
                vec![("idempotency-key", key)]
            };
            let body = Some(json!({ "reason": "duplicate accounts" }));
            let (status, answer, _) = stack
                .send(Method::POST, url, Some(admin), body, &headers)
                .await;
            (status, answer)
        }
    });
    let answers = futures::future::join_all(requests).await;
    // Assert: all answered suspended; one suspension in the log.
    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::OK, "{answer}");
        assert_eq!(answer["state"], "suspended", "{answer}");
    }
    let events = stack.stream_events(&format!("customer-{}", user.id)).await;
    let suspensions = events
        .iter()
        .filter(|(t, _)| t == "CustomerSuspended")
        .count();
    assert_eq!(suspensions, 1, "{events:?}");
}

#[tokio::test]
async fn admins_list_accounts_by_text_role_and_state_a_page_at_a_time() {
    // Arrange: two sellers named alike, one suspended, and a buyer.
    let stack = Stack::start().await.unwrap();
    let admin = stack.admin_token().await;
    let tag = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let first = support::register_named(&stack, "seller", &format!("Toko {tag} Satu")).await;
    let second = support::register_named(&stack, "seller", &format!("Toko {tag} Dua")).await;
    let buyer = support::register_named(&stack, "buyer", &format!("Ani {tag}")).await;
    let reason = Some(json!({ "reason": "fake reviews" }));
    let (_, answer) = admin_action(&stack, &admin, second.id, "suspend", reason).await;
    let token = answer["consistency_token"].as_str().unwrap().to_owned();
    // Act / Assert: by name, any case.
    let list = |query: String| accounts(&stack, &admin, &token, query);
    let all = list(format!("q={}", tag.to_uppercase())).await;
    assert_eq!(ids(&all).len(), 3, "{all}");
    let sellers = list(format!("q={tag}&role=seller")).await;
    assert_eq!(
        ids(&sellers),
        [second.id.to_string(), first.id.to_string()],
        "newest first"
    );
    let suspended = list(format!("q={tag}&state=suspended")).await;
    assert_eq!(ids(&suspended), [second.id.to_string()]);
    assert_eq!(suspended["items"][0]["suspension_reason"], "fake reviews");
    let by_email = list(format!("q={}", buyer.email)).await;
    assert_eq!(ids(&by_email), [buyer.id.to_string()]);
    let none = list("q=%25_%25".into()).await;
    assert_eq!(none["items"], json!([]), "wildcards are plain characters");
    // A page at a time, no repeats.
    let page = list(format!("q={tag}&limit=2")).await;
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let rest = list(format!("q={tag}&limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&rest), [first.id.to_string()]);
    assert!(rest["next_cursor"].is_null());
    let secret_free = all.to_string();
    assert!(!secret_free.contains("argon2"), "{secret_free}");
    // A renamed account (`PATCH /v1/me`) is listed and found by its new name.
    let rename = Some(json!({ "full_name": format!("Budi {tag} Baru") }));
    let (status, body, renamed) = stack
        .command(
            reqwest::Method::PATCH,
            "/v1/me",
            Some(&buyer.access),
            rename,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let renamed = renamed.expect("a consistency token");
    let found = accounts(&stack, &admin, &renamed, format!("q=budi+{tag}")).await;
    assert_eq!(ids(&found), [buyer.id.to_string()]);
    assert_eq!(found["items"][0]["full_name"], format!("Budi {tag} Baru"));
}

/// `GET /v1/admin/customers?{query}` as `admin`, read after `token`.
async fn accounts(stack: &Stack, admin: &str, token: &str, query: String) -> Value {
    let path = format!("/v1/admin/customers?{query}");
    let (status, body) = stack.query(&path, Some(admin), Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

/// The ids of a page of accounts.
fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The first admin's id, from the accounts list.
async fn admin_id(stack: &Stack, admin: &str) -> Uuid {
    let body = stack
        .eventually("/v1/admin/customers?role=admin", Some(admin), |b| {
            b["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
    body["items"][0]["id"].as_str().unwrap().parse().unwrap()
}

/// The seller of a listed product, from its page.
async fn seller_of(stack: &Stack, product: Uuid) -> Uuid {
    let body = stack
        .eventually(&format!("/v1/products/{product}"), None, |_| true)
        .await;
    body["seller_id"].as_str().unwrap().parse().unwrap()
}
