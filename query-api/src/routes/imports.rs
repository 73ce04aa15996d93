//! `GET /v1/imports/{id}`: a CSV import's progress and its per-line report, for the seller who
//! imported or an admin.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use pasar_events::types::Role;
use pasar_projector::slices::imports::{self, queries};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::Cursor;
use pasar_service::openapi::ProblemDetails as Problem;

/// Projections this route reads.
const READS: &[&str] = &[imports::NAME];
/// Report lines per page: default and most.
const DEFAULT_LINES: i64 = 100;
const MAX_LINES: i64 = 1_000;
const OUTCOMES: &[&str] = &["created", "updated", "unchanged", "rejected"];

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Only lines with this outcome: created, updated, unchanged or rejected; 400 otherwise.
    #[param(example = "rejected")]
    outcome: Option<String>,
    /// Report lines per page, 1 to 1,000 (default 100); 400 otherwise.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page; 400 for any other value.
    cursor: Option<String>,
}

/// How many lines had each outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportCounts {
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub rejected: i32,
}

/// One line of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLine {
    /// The file's line (the header is line 1).
    #[schema(example = 2)]
    pub line: i32,
    #[schema(example = "KOPI-001")]
    pub sku: String,
    /// created, updated, unchanged or rejected.
    #[schema(example = "created")]
    pub outcome: String,
    /// The product the line created, updated or left unchanged; `null` when rejected.
    pub product_id: Option<Uuid>,
    /// Why it was rejected, one per broken field (`"price: must be a whole number of
    /// rupiah"`); a stock change refused on a line that otherwise applied is noted here too.
    pub reasons: Vec<String>,
}

/// An import's progress and report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub id: Uuid,
    /// queued, running or done.
    #[schema(example = "done")]
    pub status: String,
    /// Data rows in the file.
    #[schema(example = 2)]
    pub rows: i32,
    /// Lines with an outcome so far.
    #[schema(example = 2)]
    pub processed: i32,
    /// `processed / rows`, 0 to 1.
    #[schema(example = 1.0)]
    pub progress: f64,
    pub counts: ImportCounts,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// A page of the per-line report in line order (the lines reported so far; every line once
    /// `status` is done).
    pub lines: Vec<ImportLine>,
    /// Pass as `cursor` for the next page of lines; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Get an import
///
/// A CSV import's status (queued, running, done), counts, progress and per-line report
/// (line, SKU, outcome, reasons), a page at a time. For the seller who imported it and admins.
#[utoipa::path(
    get, path = "/v1/imports/{id}", tag = "catalog",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The import; anything but a UUID is 404"), ReportQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "The import", body = ImportReport),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the seller who imported it, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such import", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let not_found = || ApiError::NotFound("no such import".into());
    let Path(id) = id.map_err(|_| not_found())?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    user.require(&[Role::Seller, Role::Admin])?;
    let filter = line_filter(query)?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    let summary = queries::summary(&client, id).await?.ok_or_else(not_found)?;
    if user.role != Role::Admin && summary.owner_id != user.id {
        return Err(ApiError::Forbidden(
            "only the seller who imported it or an admin may see an import".into(),
        ));
    }
    let mut lines = queries::lines(&client, id, &filter).await?;
    let more = lines.len() > usize::try_from(filter.limit - 1).unwrap_or(usize::MAX);
    lines.truncate(usize::try_from(filter.limit - 1).unwrap_or(usize::MAX));
    let next_cursor = more
        .then(|| lines.last().map(|l| Cursor::Line { line: l.line }.encode()))
        .flatten();
    Ok(Json(report(summary, lines, next_cursor)))
}

/// The query as a filter fetching one line more than the page (to know if another follows).
fn line_filter(query: ReportQuery) -> Result<queries::LineFilter, ApiError> {
    let limit = match query.limit {
        None => DEFAULT_LINES,
        Some(n) if (1..=MAX_LINES).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::BadRequest(format!(
                "limit must be between 1 and {MAX_LINES}"
            )));
        }
    };
    if let Some(outcome) = &query.outcome
        && !OUTCOMES.contains(&outcome.as_str())
    {
        return Err(ApiError::BadRequest(format!(
            "outcome must be one of {}",
            OUTCOMES.join(", ")
        )));
    }
    let after = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Line { line }) => line,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => 0,
    };
    Ok(queries::LineFilter {
        outcome: query.outcome,
        after,
        limit: limit + 1,
    })
}

fn report(
    s: queries::ImportSummary,
    lines: Vec<queries::ImportLine>,
    next_cursor: Option<String>,
) -> ImportReport {
    let progress = if s.total_rows > 0 {
        f64::from(s.processed) / f64::from(s.total_rows)
    } else {
        1.0
    };
    ImportReport {
        id: s.id,
        status: s.status,
        rows: s.total_rows,
        processed: s.processed,
        progress,
        counts: ImportCounts {
            created: s.created,
            updated: s.updated,
            unchanged: s.unchanged,
            rejected: s.rejected,
        },
        requested_at: s.requested_at,
        started_at: s.started_at,
        completed_at: s.completed_at,
        lines: lines
            .into_iter()
            .map(|l| ImportLine {
                line: l.line,
                sku: l.sku,
                outcome: l.outcome,
                product_id: l.product_id,
                reasons: l.reasons,
            })
            .collect(),
        next_cursor,
    }
}
