//! `GET /v1/seller/dashboard`: a seller's shop at a glance, from the catalog and orders
//! projections.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::catalog::queries::{self as products, LowStock, ProductStates};
use pasar_projector::slices::orders::sales::{self, OrderToShip, Sales, TopProduct};
use pasar_projector::slices::{catalog, orders};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections this route reads.
const READS: &[&str] = &[catalog::NAME, orders::NAME];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Admins only: the seller to show (a seller always sees their own shop).
    seller_id: Option<Uuid>,
}

/// A seller's shop at a glance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub seller_id: Uuid,
    pub products: ProductStates,
    /// Active products at or below their low-stock threshold (default 5, set per product with
    /// `PATCH /v1/products/{id}` `low_stock_threshold`), the emptiest first; at most 50.
    pub low_stock: Vec<LowStock>,
    /// Paid orders waiting for a shipment.
    pub orders_to_ship: i64,
    /// The oldest of them, at most 20.
    pub oldest_to_ship: Vec<OrderToShip>,
    /// Paid orders by the time they were placed: goods less refunds, shipping excluded.
    pub sales: Sales,
    /// The best sellers of the last 30 days by units, at most 20.
    pub top_products: Vec<TopProduct>,
}

/// Seller dashboard
///
/// Products by state, low stock, orders to ship, sales today (Asia/Jakarta) and over the last
/// 7 and 30 days, and the best sellers. A seller sees their own shop; an admin passes
/// `seller_id`. Honours `X-Consistency-Token`.
#[utoipa::path(
    get, path = "/v1/seller/dashboard", tag = "catalog",
    security(("bearer" = [])),
    params(DashboardQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The dashboard", body = Dashboard),
        (status = 400, description = "A parameter or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a seller or an admin, or a seller asking for another shop", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An admin without `seller_id`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn dashboard(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<DashboardQuery>, QueryRejection>,
) -> Result<Json<Dashboard>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    user.require(&[Role::Seller, Role::Admin])?;
    let seller = match (user.role, query.seller_id) {
        (Role::Admin, Some(seller)) => seller,
        (Role::Admin, None) => {
            return Err(ApiError::invalid(
                "seller_id",
                "an admin must name the seller",
            ));
        }
        (_, Some(other)) if other != user.id => {
            return Err(ApiError::Forbidden(
                "a seller sees only their own dashboard".into(),
            ));
        }
        _ => user.id,
    };
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let now = chrono::Utc::now();
    let (orders_to_ship, oldest_to_ship) = sales::to_ship(&client, seller).await?;
    Ok(Json(Dashboard {
        seller_id: seller,
        products: products::product_states(&client, seller).await?,
        low_stock: products::low_stock(&client, seller).await?,
        orders_to_ship,
        oldest_to_ship,
        sales: sales::sales(&client, seller, now).await?,
        top_products: sales::top_products(&client, seller, now).await?,
    }))
}
