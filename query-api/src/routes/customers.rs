//! `GET /v1/admin/customers`: every account for admins (the `customers` projection), searched
//! by email or name, narrowed by role and state, newest first with a cursor.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::customers::{self, queries};
use serde::Deserialize;
use utoipa::IntoParams;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, limit};
use pasar_service::openapi::ProblemDetails as Problem;

pub use queries::CustomerRow;

const READS: &[&str] = &[customers::NAME];

/// Longest search text, in characters (an email's longest).
const MAX_Q_CHARS: usize = 254;

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomersQuery {
    /// Part of the email or of the full name, any case (1 to 254 characters; `%` and `_` are
    /// plain characters).
    #[param(example = "ani")]
    q: Option<String>,
    /// `buyer`, `seller` or `admin`.
    #[param(example = "seller")]
    role: Option<String>,
    /// `active` or `suspended`.
    #[param(example = "suspended")]
    state: Option<String>,
    /// 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// List accounts
///
/// Every registered account, newest first: email, name, role, and whether an admin suspended
/// it (with the reason). Admins only.
#[utoipa::path(
    get, path = "/v1/admin/customers", tag = "admin",
    security(("bearer" = [])),
    params(CustomersQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of accounts", body = Page<CustomerRow>),
        (status = 400, description = "An unknown parameter, or a malformed `limit`, cursor or consistency token", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank or over-long `q`, an unknown `role` or `state`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<CustomersQuery>, QueryRejection>,
) -> Result<Json<Page<CustomerRow>>, ApiError> {
    user.require(&[Role::Admin])?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let filter = filter(query)?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let rows = queries::list(&client, &filter, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |c: &CustomerRow| {
        Cursor::Position {
            txid: c.registered.0,
            global: c.registered.1,
        }
    })))
}

fn filter(query: CustomersQuery) -> Result<queries::CustomerFilter, ApiError> {
    let one_of = |name: &'static str, value: Option<String>, allowed: &[&str]| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(ApiError::invalid(
            name,
            &format!("must be one of {}", allowed.join(", ")),
        )),
        other => Ok(other),
    };
    let text = match query.q {
        Some(q) => {
            let q = q.trim().to_owned();
            let length = q.chars().count();
            if length == 0 || length > MAX_Q_CHARS || q.contains(char::is_control) {
                return Err(ApiError::invalid(
                    "q",
                    &format!("must be 1 to {MAX_Q_CHARS} printable characters"),
                ));
            }
            Some(q)
        }
        None => None,
    };
    let before = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Position { txid, global }) => Some((txid, global)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => None,
    };
    Ok(queries::CustomerFilter {
        text,
        role: one_of("role", query.role, &["buyer", "seller", "admin"])?,
        state: one_of("state", query.state, &["active", "suspended"])?,
        before,
    })
}
