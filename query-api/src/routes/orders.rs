//! `GET /v1/orders` and `GET /v1/orders/{id}`: buyer, seller and admin views of the orders
//! projection.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::orders::{self, queries};
use serde::Deserialize;
use uuid::Uuid;

use axum::response::{IntoResponse, Response};

use super::history;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, limit};

pub use queries::{Order, OrderFilter, REFUND_STATUSES, STATUSES};

/// Projections these routes read (payment status included: the orders projection keeps it).
const READS: &[&str] = &[orders::NAME];

/// The buyer, the seller and admins may see an order; nobody else learns it exists.
fn visible_to(order: &Order, user: &AuthUser) -> bool {
    user.role == Role::Admin || order.buyer_id == user.id || order.seller_id == user.id
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    /// `required`, `refunded` or `owed`: orders whose late payment is being, was, or cannot be
    /// refunded through Midtrans (an admin's list of what the shop owes).
    refund: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Newest first: a buyer's own orders, a seller's sales, or every order for an admin.
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

#[derive(Debug, Deserialize)]
pub struct DetailQuery {
    /// An RFC 3339 time or a consistency token: the order as it was then, folded from the log.
    as_of: Option<String>,
}

/// One order, if the caller may see it; 404 otherwise. With `as_of`, the order as it was
/// then, folded from the log rather than read from the table.
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

/// Every event of the order and its payment, in log order, for its buyer, seller and admins.
pub async fn history(
    State(state): State<AppState>,
    user: AuthUser,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<history::History>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound("no such order".into()))?;
    history::history(&state, &user, id).await
}
