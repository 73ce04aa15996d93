//! `POST /v1/products/import`: a seller's CSV file of products, checked whole
//! ([`super::import_file`]) and recorded before the answer; the `imports` processor then
//! creates or updates each line's product (progress and report: the query API's
//! `GET /v1/imports/{id}`).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use pasar_events::types::Role;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::import_file::{self, MAX_FILE_BYTES, Malformed};
use super::input::IdempotencyKey;
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::{AppState, imports};
use crate::auth::AuthUser;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// This route alone takes bodies up to the file limit (the others keep `BODY_LIMIT`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_products))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES))
}

/// `202` to an accepted import.
#[derive(ToSchema)]
pub struct ImportAccepted {
    pub import_id: Uuid,
    /// Data rows recorded.
    #[schema(example = 2)]
    pub rows: u32,
    #[schema(example = "812-42")]
    pub consistency_token: String,
}

/// Import products from CSV
///
/// A seller (or an admin) sends a CSV file (`text/csv`, UTF-8, at most 5 MiB and 10,000 data
/// rows) whose header is exactly `sku,name,description,price,weight_grams,brand,condition,category_id,stock`.
/// The file is checked whole first: a malformed file (bad encoding, wrong header, a quote left
/// open, a line with the wrong number of cells, too many rows) is refused with 422 naming the
/// line, and nothing is recorded. An accepted file's rows are recorded before the answer; each
/// line then creates or updates the product with that SKU (in the background; follow it with
/// `GET /v1/imports/{import_id}` on the query API).
#[utoipa::path(
    post, path = "/v1/products/import", tag = "catalog",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body(content = String, content_type = "text/csv", description = "The CSV file",
        example = "sku,name,description,price,weight_grams,brand,condition,category_id,stock\nKOPI-001,Kopi Gayo 250 g,Arabika,75000,250,Gayo,new,,10\n"),
    responses(
        (status = 202, description = "Recorded; the lines are imported in the background (a retry with its Idempotency-Key answers the same import)", body = ImportAccepted),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a seller or an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than 5 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `text/csv`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A malformed file (`line` names where), or the Idempotency-Key was used with another file", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn import_products(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    require_csv(&headers)?;
    let body = body.map_err(|e| ApiError::Problem {
        status: e.status(),
        title: "Unreadable request body",
        detail: if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            format!("the file is larger than {MAX_FILE_BYTES} bytes (5 MiB)")
        } else {
            e.body_text()
        },
        extra: None,
    })?;
    let rows = import_file::parse(&body).map_err(malformed)?;
    let key = key.for_request(&hex::encode(Sha256::digest(&body)))?;
    let (import_id, outcome) = imports::request(&state, actor(&user), rows, key.as_ref()).await?;
    let body = json!({ "import_id": import_id, "rows": outcome.state.expected_rows });
    Ok(accepted(StatusCode::ACCEPTED, body, outcome.position))
}

fn require_csv(headers: &HeaderMap) -> Result<(), ApiError> {
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("text/csv"));
    if csv {
        return Ok(());
    }
    Err(ApiError::Problem {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        title: "Unsupported media type",
        detail: "send the file as text/csv".into(),
        extra: None,
    })
}

fn malformed(m: Malformed) -> ApiError {
    tracing::info!(line = ?m.line, detail = %m.detail, "import file refused");
    ApiError::Problem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        title: "Malformed file",
        detail: m.detail,
        extra: Some(json!({ "line": m.line })),
    }
}
