//! `PUT /v1/seller/profile`: the caller's own store profile.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::FieldError;
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input::{Fields, IdempotencyKey, text};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::sellers::{self, ProfileInput};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(set_profile))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"store_name": "Kopi Gayo Asli", "description": "Arabika dari Takengon", "origin": 17473}))]
struct ProfileRequest {
    /// 1 to 100 characters.
    store_name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    description: Option<String>,
    /// A RajaOngkir location id from `GET /v1/shipping/destinations` (search for it first).
    #[schema(example = 17473, minimum = 1)]
    origin: u32,
}

/// The store profile as answered.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ProfileAnswer {
    seller_id: uuid::Uuid,
    store_name: String,
    description: String,
    origin: ProfileOrigin,
    consistency_token: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ProfileOrigin {
    #[schema(example = 17473)]
    id: u32,
    #[schema(example = "GAMBIR, GAMBIR, JAKARTA PUSAT, DKI JAKARTA, 10110")]
    label: String,
}

/// Set the store profile
///
/// The caller's store: name, description and the location its parcels leave from (the origin
/// of its shipping quotes). A seller or an admin; the origin must be a location the command
/// API's destination search returned (422 otherwise: search for it first). Setting the same
/// profile again records nothing.
#[utoipa::path(
    put, path = "/v1/seller/profile", tag = "sellers",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = ProfileRequest,
    responses(
        (status = 200, description = "The profile as stored", body = ProfileAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a seller nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, the origin is not a known location, or the key was reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable, or shipping is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn set_profile(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<ProfileRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&req)?;
    let mut fields = Fields::default();
    let store_name = text(&mut fields, "store_name", &req.store_name);
    let description = match req.description.as_deref() {
        Some("") | None => Some(String::new()),
        Some(d) => text(&mut fields, "description", d),
    };
    if req.origin == 0 {
        fields.push([FieldError::new("origin", "must be a location id")]);
    }
    fields.finish()?;
    let input = ProfileInput {
        store_name: store_name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        origin_id: req.origin,
    };
    let outcome = sellers::set_profile(&state, actor(&user), input, key.as_ref()).await?;
    let store = outcome
        .state
        .store
        .ok_or_else(|| anyhow::anyhow!("invariant: a set profile is on the stream"))?;
    let body = json!({
        "seller_id": user.id,
        "store_name": store.store_name,
        "description": store.description,
        "origin": { "id": store.origin_id, "label": store.origin_label },
    });
    Ok(accepted(StatusCode::OK, body, outcome.position))
}
