//! `GET /v1/wallet` (the caller's own wallet, buyers) and `GET /v1/admin/wallets/{customer_id}`
//! (any buyer's, admins): the balance and a page of movements, newest first.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use pasar_events::types::Role;
use pasar_projector::slices::wallets::{self, queries};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, limit};
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections these routes read.
const READS: &[&str] = &[wallets::NAME];

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MovementsQuery {
    /// Movements per page, 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; 400 for any other value.
    cursor: Option<String>,
}

/// One movement of money.
#[derive(Debug, Serialize, ToSchema)]
pub struct WalletMovement {
    /// `top_up` (a settled top-up), `order_refund` or `payment_refund` (a refund Midtrans
    /// could not make), `checkout_payment` (spent on a checkout), `checkout_return` (a
    /// checkout's wallet part given back).
    #[schema(example = "top_up")]
    pub kind: String,
    /// Rupiah: positive for money in, negative for money out.
    #[schema(example = 100000)]
    pub amount: i64,
    /// The balance after it.
    #[schema(example = 100000)]
    pub balance: i64,
    /// The top-up's payment, the refunded order, the late-settled payment, the checkout, or
    /// (for `checkout_return`) the checkout attempt's payment id.
    pub reference_id: Uuid,
    pub at: DateTime<Utc>,
}

/// A wallet: its balance and a page of its movements.
#[derive(Debug, Serialize, ToSchema)]
pub struct Wallet {
    pub customer_id: Uuid,
    /// Rupiah; never below zero.
    #[schema(example = 100000)]
    pub balance: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    /// Newest first.
    pub movements: Vec<WalletMovement>,
    /// Pass as `cursor` for the next page of movements; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Get my wallet
///
/// The caller's balance and movements, newest first. Buyers only (admins read any wallet
/// with `GET /v1/admin/wallets/{customer_id}`).
#[utoipa::path(
    get, path = "/v1/wallet", tag = "wallet",
    security(("bearer" = [])),
    params(MovementsQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The wallet", body = Wallet),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<MovementsQuery>, QueryRejection>,
) -> Result<Json<Wallet>, ApiError> {
    user.require(&[Role::Buyer])?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    read(&state, &headers, user.id, query).await.map(Json)
}

/// Get a buyer's wallet
///
/// Any customer's balance and movements, newest first (zero and none for a customer whose
/// wallet never moved). Admins only.
#[utoipa::path(
    get, path = "/v1/admin/wallets/{customer_id}", tag = "wallet",
    security(("bearer" = [])),
    params(("customer_id" = Uuid, Path, description = "The customer; anything but a UUID is 404"), MovementsQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The wallet", body = Wallet),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The path is not a customer id", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn of_customer(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    customer_id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<MovementsQuery>, QueryRejection>,
) -> Result<Json<Wallet>, ApiError> {
    user.require(&[Role::Admin])?;
    let Path(customer_id) =
        customer_id.map_err(|_| ApiError::NotFound("no such customer".into()))?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    read(&state, &headers, customer_id, query).await.map(Json)
}

async fn read(
    state: &AppState,
    headers: &HeaderMap,
    customer_id: Uuid,
    query: MovementsQuery,
) -> Result<Wallet, ApiError> {
    let limit = limit(query.limit)?;
    let after = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Position { txid, global }) => Some((txid, global)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => None,
    };
    state.consistency.require(headers, READS).await?;
    let client = state.pool.get().await?;
    let balance = queries::balance(&client, customer_id).await?;
    let mut rows = queries::movements(&client, customer_id, after, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next_cursor = more.then(|| rows.last()).flatten().map(|last| {
        let (txid, global) = last.position;
        Cursor::Position { txid, global }.encode()
    });
    Ok(Wallet {
        customer_id,
        balance: balance.balance,
        currency: balance.currency,
        movements: rows.into_iter().map(movement).collect(),
        next_cursor,
    })
}

fn movement(row: queries::Movement) -> WalletMovement {
    WalletMovement {
        kind: row.kind,
        amount: row.amount,
        balance: row.balance,
        reference_id: row.reference_id,
        at: row.at,
    }
}
