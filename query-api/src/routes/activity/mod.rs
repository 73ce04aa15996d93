//! `GET /v1/me/activity?format=json|csv&from=&to=`: everything the signed-in user did and
//! everything done to their account, orders and wallet, straight from the PostgreSQL log:
//! the events whose actor is the user, and the events of the user's own streams (their
//! account — where an admin's suspension or role change is recorded —, cart, wallet, and the
//! orders they placed with their payments), whoever caused them.
//!
//! Streamed ([`export`]): a chunked body built batch by batch, so a user with 100,000 events
//! gets a file without the service holding it. Secrets never appear ([`render`]).

mod export;
mod render;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use pasar_events::types::streams;
use pasar_projector::slices::{orders, sellers};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

pub use render::Entry;

/// The projections the export reads besides the log: the user's orders, the actors' roles.
const READS: &[&str] = &[orders::NAME, sellers::NAME];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// `json` (default) or `csv`.
    #[param(example = "csv")]
    format: Option<String>,
    /// Only events recorded at or after this time (RFC 3339).
    #[param(example = "2026-11-01T00:00:00Z")]
    from: Option<String>,
    /// Only events recorded at or before this time (RFC 3339).
    #[param(example = "2026-11-30T23:59:59Z")]
    to: Option<String>,
}

/// The whole export, as the JSON format answers it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Activity {
    user_id: Uuid,
    /// Oldest first.
    events: Vec<Entry>,
}

/// Download my activity
///
/// Everything the caller did, and everything done to their account, orders and wallet (an
/// admin's suspension included), oldest first, read from the event log: JSON
/// `{user_id, events:[{position, recorded_at, stream, type, actor, actor_id, data}]}`, or CSV
/// with a header row (RFC 4180 quoting; a cell starting with `=`, `+`, `-` or `@` is prefixed
/// with `'`; `data` is the event's JSON). Streamed in chunks. Password and token hashes, Snap
/// tokens and payment pages never appear.
#[utoipa::path(
    get, path = "/v1/me/activity", tag = "me",
    security(("bearer" = [])),
    params(ActivityQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The activity, oldest first", content(
            (Activity = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, description = "An unknown parameter, or a malformed consistency token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`format` is neither json nor csv, `from` or `to` is not an RFC 3339 time, or `from` is after `to`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the log is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn activity(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<ActivityQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let from = time("from", query.from.as_deref())?;
    let to = time("to", query.to.as_deref())?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    state.consistency.require(&headers, READS).await?;
    let export = export::Export {
        user: user.id,
        streams: own_streams(&state, user.id).await?,
        from,
        to,
        head: export::head(&state.pool).await?,
        csv,
    };
    let body = Body::from_stream(export::body(state.pool.clone(), export));
    let (content_type, file) = if csv {
        ("text/csv; charset=utf-8", "activity.csv")
    } else {
        ("application/json", "activity.json")
    };
    let disposition = format!("attachment; filename=\"{file}\"");
    let mut response = body.into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        response_headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

fn time(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time"))
    })
    .transpose()
}

/// The streams that are the user's: their account, cart and wallet, and the orders they
/// placed with those orders' payments.
async fn own_streams(state: &AppState, user: Uuid) -> Result<Vec<String>, ApiError> {
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT id, payment_id FROM rm.orders WHERE buyer_id = $1",
            &[&user],
        )
        .await?;
    let mut own = vec![
        streams::customer(user),
        streams::cart(user),
        format!("wallet-{user}"),
    ];
    for row in &rows {
        own.push(streams::order(row.get("id")));
        own.push(streams::payment(row.get("payment_id")));
    }
    own.sort();
    own.dedup();
    Ok(own)
}
