//! `/v1/inventory/{id}/…`: receiving a product's stock and correcting it by hand.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::openapi::{IdempotencyKeyHeader, StockAnswer};
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::catalog::{self, ADJUSTMENT_REASONS};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(receive_stock))
        .routes(routes!(adjust_stock))
}

#[derive(Deserialize, Serialize, ToSchema)]
struct ReceiptRequest {
    /// Units received, 1 or more.
    #[schema(example = 5)]
    quantity: i64,
}

/// Receive stock
///
/// Adds received units to a product's stock. The product's seller or an admin.
#[utoipa::path(
    post, path = "/v1/inventory/{product_id}/receipts", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = ReceiptRequest,
    responses(
        (status = 201, description = "Received", body = StockAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A conflict with the stock's state", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn receive_stock(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReceiptRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, &req))?;
    let outcome =
        catalog::receive_stock(&state, actor(&user), product_id, req.quantity, key.as_ref())
            .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}

/// `{delta, reason, note?}`: `reason` one of damaged, lost, found, recount, returned.
#[derive(Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"delta": -2, "reason": "damaged", "note": "stock opname"}))]
struct AdjustmentRequest {
    /// Units to add (positive) or take away (negative); not 0.
    delta: i64,
    /// damaged, lost, found, recount or returned.
    reason: String,
    #[serde(default)]
    note: Option<String>,
}

/// Adjust stock
///
/// Corrects a product's stock by hand (either sign), never below what is reserved: its seller
/// or an admin. The reason (and note) stay in the stock's history.
#[utoipa::path(
    post, path = "/v1/inventory/{product_id}/adjustments", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = AdjustmentRequest,
    responses(
        (status = 201, description = "Adjusted", body = StockAnswer),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The stock would fall below what is reserved", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn adjust_stock(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<AdjustmentRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, &req))?;
    let mut fields = super::input::Fields::default();
    if !ADJUSTMENT_REASONS.contains(&req.reason.as_str()) {
        let message = format!("must be one of {}", ADJUSTMENT_REASONS.join(", "));
        fields.push([pasar_domain::FieldError::new("reason", message)]);
    }
    let note = match req.note.as_deref() {
        Some(note) => fields
            .check("note", pasar_domain::values::Text::<1, 500>::parse(note))
            .map(|n| format!(": {}", n.into_inner())),
        None => Some(String::new()),
    };
    if req.delta == 0 {
        fields.push([pasar_domain::FieldError::new("delta", "must not be 0")]);
    }
    fields.finish()?;
    let reason = format!("{}{}", req.reason, note.unwrap_or_default());
    let outcome = catalog::adjust_stock(
        &state,
        actor(&user),
        product_id,
        req.delta,
        reason,
        key.as_ref(),
    )
    .await?;
    let body = json!({
        "product_id": product_id,
        "on_hand": outcome.state.on_hand,
        "available": outcome.state.available(),
    });
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}
