//! `GET /v1/orders` and `GET /v1/orders/{id}`: buyer, seller and admin views of the orders
//! projection.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::orders::{self, queries};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use axum::response::{IntoResponse, Response};

use super::history;
use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, limit};
use pasar_service::openapi::ProblemDetails as Problem;

pub use queries::{Order, OrderFilter, REFUND_STATUSES, STATUSES};

/// Projections these routes read (payment status included: the orders projection keeps it).
const READS: &[&str] = &[orders::NAME];

/// The buyer, the seller and admins may see an order; nobody else learns it exists.
fn visible_to(order: &Order, user: &AuthUser) -> bool {
    user.role == Role::Admin || order.buyer_id == user.id || order.seller_id == user.id
}

/// An unknown parameter is refused (400) rather than ignored: a misspelt filter
/// (`min_prize`) would otherwise silently list everything.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only orders in this status: awaiting_payment, paid, shipped, delivered, completed,
    /// cancelled, expired or refunded; 400 otherwise.
    #[param(example = "paid")]
    status: Option<String>,
    /// Only orders with this refund status: required (asked of Midtrans), refunded, or owed
    /// (Midtrans cannot refund the method: what the shop owes, an admin's list); 400 otherwise.
    #[param(example = "owed")]
    refund: Option<String>,
    /// 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; 400 for any other value.
    cursor: Option<String>,
}

/// List orders
///
/// Newest first: a buyer's own orders, a seller's sales, or every order for an admin.
#[utoipa::path(
    get, path = "/v1/orders", tag = "orders",
    security(("bearer" = [])),
    params(ListQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of orders", body = Page<Order>),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Page<Order>>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let filter = filter(&user, query)?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let orders = queries::list(&client, &filter, limit + 1).await?;
    Ok(Json(Page::from_rows(orders, limit, |o: &Order| {
        Cursor::Position {
            txid: o.placed.0,
            global: o.placed.1,
        }
    })))
}

/// What `user` may list: a buyer's own orders, a seller's sales, every order for an admin.
fn filter(user: &AuthUser, query: ListQuery) -> Result<OrderFilter, ApiError> {
    let mut filter = OrderFilter::default();
    match user.role {
        Role::Buyer => filter.buyer = Some(user.id),
        Role::Seller => filter.seller = Some(user.id),
        Role::Admin => {}
    }
    if let Some(status) = query.status {
        if !STATUSES.contains(&status.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "status must be one of {}",
                STATUSES.join(", ")
            )));
        }
        filter.status = Some(status);
    }
    if let Some(refund) = query.refund {
        if !REFUND_STATUSES.contains(&refund.as_str()) {
            return Err(ApiError::BadRequest(format!(
                "refund must be one of {}",
                REFUND_STATUSES.join(", ")
            )));
        }
        filter.refund = Some(refund);
    }
    filter.after = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Position { txid, global }) => Some((txid, global)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => None,
    };
    Ok(filter)
}

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DetailQuery {
    /// An RFC 3339 time (`2026-11-30T01:00:00Z`) or a consistency token: the order as it was
    /// then, folded from the log rather than read from the table; 400 for anything else.
    as_of: Option<String>,
}

/// Get an order
///
/// One order, if the caller is its buyer, its seller or an admin; 404 otherwise. With
/// `as_of`, the order (and its payment status) as it was then, folded from the log.
#[utoipa::path(
    get, path = "/v1/orders/{id}", tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order; anything but a UUID is 404"), DetailQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The order (with `as_of`: its state then, plus `as_of`)", body = Order),
        (status = 400, description = "The consistency token or `as_of` is malformed, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, not the caller's to see, or not placed yet at `as_of`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models or the log are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<DetailQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound("no such order".into());
    let Path(id) = id.map_err(|_| not_found())?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    if let Some(raw) = query.as_of.as_deref() {
        let as_of = history::AsOf::parse(raw)?;
        return Ok(history::as_of(&state, &user, id, as_of)
            .await?
            .into_response());
    }
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    queries::order(&client, id)
        .await?
        .filter(|order| visible_to(order, &user))
        .map(|order| Json(order).into_response())
        .ok_or_else(not_found)
}

/// An order's history
///
/// Every event of the order and its payment, in log order, read from the log itself: type,
/// time, who caused it (buyer, seller, admin, midtrans, system) and its fields (the Snap token
/// and payment page left out). For its buyer, its seller and admins; 404 for anyone else.
#[utoipa::path(
    get, path = "/v1/orders/{id}/history", tag = "orders",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The order; anything but a UUID is 404")),
    responses(
        (status = 200, description = "The order's events in log order", body = history::History),
        (status = 404, description = "No such order, or not the caller's to see", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The log is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<history::History>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound("no such order".into()))?;
    history::history(&state, &user, id).await
}
