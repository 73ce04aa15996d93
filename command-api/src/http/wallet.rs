//! `POST /v1/wallet/top-ups`: a top-up of the caller's wallet, paid through Midtrans Snap;
//! and how the wallet's rules become problems. The balance and movements are read from the
//! query API (`GET /v1/wallet`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::FieldError;
use pasar_domain::wallet::{MAX_BALANCE, MIN_TOP_UP, WalletError};
use pasar_events::types::{CheckoutRejection, Money, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input::IdempotencyKey;
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::{AppState, wallet};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(top_up))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": 100000}))]
struct TopUpRequest {
    /// Rupiah, at least 10,000; the balance after it may not exceed 20,000,000.
    #[schema(example = 100000, minimum = 10000, maximum = 20000000)]
    amount: i64,
}

/// A started top-up: the Snap page to pay it on.
#[derive(ToSchema)]
#[allow(dead_code)]
struct TopUpAnswer {
    /// The top-up's payment id (Midtrans `order_id`).
    id: uuid::Uuid,
    #[schema(example = 100000)]
    amount: i64,
    #[schema(example = "IDR")]
    currency: String,
    snap_token: String,
    redirect_url: String,
    #[schema(example = "812-57")]
    consistency_token: String,
}

/// Top up the wallet
///
/// Starts a Midtrans Snap payment of `amount` rupiah for the caller's wallet and answers its
/// page. The wallet is credited once the payment settles for exactly that amount, once
/// however often Midtrans notifies. With an `Idempotency-Key`, a retry (or a request at the
/// same time) answers the same page.
#[utoipa::path(
    post, path = "/v1/wallet/top-ups", tag = "wallet",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = TopUpRequest,
    responses(
        (status = 201, description = "The Snap page to pay the top-up on", body = TopUpAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`amount` out of range, the balance limit reached, or the key reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Midtrans could not start the payment; nothing is credited", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn top_up(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<TopUpRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&req)?;
    if !(MIN_TOP_UP..=MAX_BALANCE).contains(&req.amount) {
        let message = format!("must be {MIN_TOP_UP} to {MAX_BALANCE} rupiah");
        return Err(ApiError::Validation(vec![FieldError::new(
            "amount", message,
        )]));
    }
    let amount = Money::idr(req.amount);
    let started = wallet::top_up(&state, actor(&user), amount, key.as_ref()).await?;
    let body = json!({
        "id": started.payment_id,
        "amount": started.amount.amount,
        "currency": started.amount.currency,
        "snap_token": started.snap_token,
        "redirect_url": started.redirect_url,
    });
    Ok(accepted(StatusCode::CREATED, body, started.position))
}

/// A wallet rule's problem: a short balance is a conflict with the current state (409), an
/// amount out of range is the request's fault (422).
pub fn problem(e: WalletError) -> ApiError {
    match e {
        WalletError::InsufficientBalance { balance, requested } => ApiError::Conflict {
            title: "Insufficient wallet balance",
            detail: e.to_string(),
            extra: Some(json!({ "balance": balance, "requested": requested })),
        },
        WalletError::InvalidAmount
        | WalletError::TopUpTooSmall
        | WalletError::BalanceLimit { .. } => {
            ApiError::Validation(vec![FieldError::new("amount", e.to_string())])
        }
        other => ApiError::conflict("Wallet conflict", other),
    }
}

/// The problem of a checkout refused for its wallet part: more than the wallet holds (409,
/// with `balance` and `requested`) or more than the total (422 naming `pay_with_wallet`).
pub fn checkout_problem(reason: &CheckoutRejection) -> ApiError {
    let (status, title, detail, extra) = match *reason {
        CheckoutRejection::InsufficientWalletBalance { balance, requested } => (
            StatusCode::CONFLICT,
            "Insufficient wallet balance",
            format!(
                "pay_with_wallet asks {requested} rupiah but the wallet holds {balance}; nothing is held"
            ),
            json!({ "balance": balance, "requested": requested }),
        ),
        CheckoutRejection::WalletAmountExceedsTotal { total } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed",
            format!(
                "pay_with_wallet is more than the checkout's total of {total} rupiah; nothing is held"
            ),
            json!({ "total": total, "errors": [{
                "field": "pay_with_wallet", "message": format!("at most the total, {total}"),
            }] }),
        ),
        _ => return ApiError::Internal(anyhow::anyhow!("not a wallet rejection: {reason:?}")),
    };
    ApiError::Problem {
        status,
        title,
        detail,
        extra: Some(extra),
    }
}
