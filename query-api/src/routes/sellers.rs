//! `GET /v1/sellers/{id}`: a seller's public store profile.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use pasar_projector::slices::sellers::queries;
use pasar_projector::slices::{catalog, sellers};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections this route reads: the sellers, and the catalog that counts their products.
const READS: &[&str] = &[sellers::NAME, catalog::NAME];

/// Where a store's parcels leave from.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreOrigin {
    /// RajaOngkir location id.
    #[schema(example = 17473)]
    pub id: i64,
    #[schema(example = "GAMBIR, GAMBIR, JAKARTA PUSAT, DKI JAKARTA, 10110")]
    pub label: Option<String>,
}

/// A seller's store. The profile fields are `null` until the seller sets them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Seller {
    pub id: Uuid,
    #[schema(example = "Kopi Gayo Asli")]
    pub store_name: Option<String>,
    pub description: Option<String>,
    pub origin: Option<StoreOrigin>,
    /// Active products in the catalog.
    #[schema(example = 12)]
    pub product_count: i64,
    pub profile_updated_at: Option<DateTime<Utc>>,
}

/// Get a seller
///
/// A seller's public store: name, description, origin with its label, and how many active
/// products it sells. Anyone; 404 for an id that is not a seller's.
#[utoipa::path(
    get, path = "/v1/sellers/{id}", tag = "sellers",
    params(("id" = Uuid, Path, description = "The seller; anything but a UUID is 404"), ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The seller's store", body = Seller),
        (status = 400, description = "The consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such seller (unknown, or not a seller)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, axum::extract::rejection::PathRejection>,
) -> Result<Json<Seller>, ApiError> {
    let Path(id) = id.map_err(|_| ApiError::NotFound("no such seller".into()))?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let store = queries::store(&client, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such seller".into()))?;
    Ok(Json(Seller {
        id: store.seller_id,
        store_name: store.store_name,
        description: store.description,
        origin: store.origin_id.map(|id| StoreOrigin {
            id,
            label: store.origin_label,
        }),
        product_count: store.active_products,
        profile_updated_at: store.profile_set_at,
    }))
}
