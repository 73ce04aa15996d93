//! `GET /v1/products/{id}/reviews` (anyone: approved reviews and the rating summary) and
//! `GET /v1/admin/reviews` (admins: the moderation queue), from the reviews projection.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use pasar_events::types::Role;
use pasar_projector::slices::catalog;
use pasar_projector::slices::reviews::{self, queries};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::pagination::{Cursor, Page, from_micros, limit, micros};
use pasar_service::openapi::ProblemDetails as Problem;

use queries::{ModeratedReview, PublicReview, RatingSummary, ReviewOrder};

/// Projections these routes read (the product's existence from the catalog).
const READS: &[&str] = &[reviews::NAME, catalog::NAME];

/// Review statuses an admin can list.
const STATUSES: [&str; 3] = ["pending", "approved", "rejected"];

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSort {
    /// Newest first.
    #[default]
    Newest,
    /// Most helpful votes first (`POST /v1/reviews/{id}/helpful`, one per buyer), then newest.
    Helpful,
}

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReviewsQuery {
    /// `newest` (default) or `helpful` (most helpful votes first).
    #[serde(default)]
    #[param(inline)]
    sort: Option<ReviewSort>,
    /// 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same `sort`); 400 for any other value.
    cursor: Option<String>,
}

/// A page of a product's approved reviews with its rating summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductReviews {
    pub product_id: Uuid,
    pub summary: RatingSummary,
    pub items: Vec<PublicReview>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A product's reviews
///
/// Approved reviews only, newest or most helpful first, with the product's rating summary
/// (average, count, count per star). Review text is plain text as its author wrote it.
#[utoipa::path(
    get, path = "/v1/products/{id}/reviews", tag = "reviews",
    params(("id" = Uuid, Path, description = "The product; anything but a UUID is 404"), ReviewsQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of approved reviews and the summary", body = ProductReviews),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn product_reviews(
    State(state): State<AppState>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, PathRejection>,
    query: Result<Query<ReviewsQuery>, QueryRejection>,
) -> Result<Json<ProductReviews>, ApiError> {
    let not_found = || ApiError::NotFound("no such product".into());
    let Path(product_id) = id.map_err(|_| not_found())?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let sort = query.sort.unwrap_or_default();
    let order = order(sort, query.cursor.as_deref())?;
    state.consistency.require(&headers, READS).await?;
    let client = state.pool.get().await?;
    catalog::queries::product(&client, product_id)
        .await?
        .ok_or_else(not_found)?;
    let summary = queries::summary(&client, product_id).await?;
    let rows = queries::approved(&client, product_id, order, limit + 1).await?;
    let page = Page::from_rows(rows, limit, |r: &PublicReview| match sort {
        ReviewSort::Newest => Cursor::Time {
            at: micros(r.submitted_at),
            id: r.id,
        },
        ReviewSort::Helpful => Cursor::Helpful {
            helpful: r.helpful,
            at: micros(r.submitted_at),
            id: r.id,
        },
    });
    Ok(Json(ProductReviews {
        product_id,
        summary,
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

fn order(sort: ReviewSort, cursor: Option<&str>) -> Result<ReviewOrder, ApiError> {
    let cursor = cursor.map(Cursor::decode).transpose()?;
    Ok(match (sort, cursor) {
        (ReviewSort::Newest, None) => ReviewOrder::Newest { after: None },
        (ReviewSort::Newest, Some(Cursor::Time { at, id })) => ReviewOrder::Newest {
            after: Some((from_micros(at)?, id)),
        },
        (ReviewSort::Helpful, None) => ReviewOrder::Helpful { after: None },
        (ReviewSort::Helpful, Some(Cursor::Helpful { helpful, at, id })) => ReviewOrder::Helpful {
            after: Some((helpful, from_micros(at)?, id)),
        },
        (_, Some(_)) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another sort order".into(),
            ));
        }
    })
}

/// An unknown parameter is refused (400) rather than ignored.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModerationQuery {
    /// `pending` (default), `approved` or `rejected`; 400 otherwise.
    #[param(example = "pending")]
    status: Option<String>,
    /// 1 to 100 (default 20); 400 otherwise.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// `next_cursor` of the previous page (of the same `status`); 400 for any other value.
    cursor: Option<String>,
}

/// The moderation queue
///
/// Reviews in one status (`pending` by default), the oldest first, with their order and
/// moderation state. Admins only.
#[utoipa::path(
    get, path = "/v1/admin/reviews", tag = "reviews",
    security(("bearer" = [])),
    params(ModerationQuery, ConsistencyTokenHeader),
    responses(
        (status = 200, description = "A page of reviews", body = Page<ModeratedReview>),
        (status = 400, description = "A parameter, the cursor or the consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Not yet consistent with `X-Consistency-Token` after `CONSISTENCY_WAIT_MS` (`Retry-After: 1`), or the read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn moderation(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    query: Result<Query<ModerationQuery>, QueryRejection>,
) -> Result<Json<Page<ModeratedReview>>, ApiError> {
    if user.role != Role::Admin {
        return Err(ApiError::Forbidden(
            "only an admin may moderate reviews".into(),
        ));
    }
    let Query(query) = query.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let limit = limit(query.limit)?;
    let status = query.status.unwrap_or_else(|| "pending".into());
    if !STATUSES.contains(&status.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )));
    }
    let after = match query.cursor.as_deref().map(Cursor::decode).transpose()? {
        Some(Cursor::Time { at, id }) => Some((from_micros(at)?, id)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "cursor belongs to another listing".into(),
            ));
        }
        None => None,
    };
    state
        .consistency
        .require(&headers, &[reviews::NAME])
        .await?;
    let client = state.pool.get().await?;
    let rows = queries::by_status(&client, &status, after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |r: &ModeratedReview| {
        Cursor::Time {
            at: micros(r.review.submitted_at),
            id: r.review.id,
        }
    })))
}
