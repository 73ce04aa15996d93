//! `/v1/products/{id}/reviews` and `/v1/reviews/{id}`: buyers review what they received,
//! edit their reviews, vote others' helpful; admins moderate. Review text is stored as given
//! and only ever served as JSON.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::review::{Rating, RejectReason, Review, ReviewBody, ReviewTitle};
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::exec::Outcome;
use crate::app::reviews::{self, Moderation, ReviewText};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_review))
        .routes(routes!(edit_review))
        .routes(routes!(approve_review))
        .routes(routes!(reject_review))
        .routes(routes!(mark_helpful))
}

/// A review as written: `POST /v1/products/{id}/reviews`, `PATCH /v1/reviews/{id}`.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rating": 5, "title": "Mantap", "body": "Kopinya harum, pengiriman cepat."}))]
struct ReviewRequest {
    /// 1 to 5 stars.
    #[schema(example = 5, minimum = 1, maximum = 5)]
    rating: i64,
    /// 1 to 120 characters.
    #[schema(example = "Mantap")]
    title: String,
    /// Up to 5,000 characters; stored as given, never interpreted as HTML.
    #[serde(default)]
    #[schema(example = "Kopinya harum, pengiriman cepat.")]
    body: String,
    /// The order whose line is reviewed (`POST` only): one of the buyer's delivered or
    /// completed orders with this product. Absent: the oldest such order not reviewed yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    order_id: Option<Uuid>,
}

impl ReviewRequest {
    fn parse(&self) -> Result<ReviewText, ApiError> {
        let mut fields = Fields::default();
        let rating = fields.check("rating", Rating::parse(self.rating));
        let title = fields.check("title", ReviewTitle::parse(&self.title));
        let body = fields.check("body", ReviewBody::parse(&self.body));
        fields.finish()?;
        match (rating, title, body) {
            (Some(rating), Some(title), Some(body)) => Ok(ReviewText {
                rating,
                title,
                body,
            }),
            _ => Err(ApiError::Internal(anyhow::anyhow!(
                "invariant: fields without errors parse"
            ))),
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Berisi iklan"}))]
struct RejectRequest {
    /// 1 to 500 characters, shown to the review's author.
    #[schema(example = "Berisi iklan")]
    reason: String,
}

/// A review after a command.
#[derive(ToSchema)]
pub struct ReviewAnswer {
    pub id: Uuid,
    pub product_id: Uuid,
    pub order_id: Uuid,
    pub author_id: Uuid,
    #[schema(example = 5)]
    pub rating: u8,
    #[schema(example = "Mantap")]
    pub title: String,
    #[schema(example = "Kopinya harum, pengiriman cepat.")]
    pub body: String,
    /// `pending`, `approved` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    pub reject_reason: Option<String>,
    /// How many buyers found it helpful.
    #[schema(example = 0)]
    pub helpful: u64,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

fn answer(outcome: &Outcome<Review>, status: StatusCode) -> Response {
    let review = &outcome.state;
    accepted(
        status,
        json!({
            "id": review.review_id,
            "product_id": review.product_id,
            "order_id": review.order_id,
            "author_id": review.author_id,
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "status": review.status.map(|s| s.as_str()),
            "reject_reason": review.reject_reason,
            "helpful": review.voters.len(),
        }),
        outcome.position,
    )
}

/// Review a product
///
/// A buyer reviews a product of one of their delivered or completed orders: one review per
/// order line. New reviews are `pending` until an admin approves them.
#[utoipa::path(
    post, path = "/v1/products/{product_id}/reviews", tag = "reviews",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Submitted, pending moderation", body = ReviewAnswer),
        (status = 403, description = "Not a buyer, or no delivered order of this product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Every delivered order line of this product is reviewed already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rating, title or body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn submit_review(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReviewRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&(product_id, &req))?;
    let text = req.parse()?;
    let (_, outcome) = reviews::submit(
        &state,
        actor(&user),
        product_id,
        req.order_id,
        text,
        key.as_ref(),
    )
    .await?;
    Ok(answer(&outcome, StatusCode::CREATED))
}

/// Edit a review
///
/// Its author rewrites it within 30 days of submitting it; the review is `pending` again
/// until an admin approves it.
#[utoipa::path(
    patch, path = "/v1/reviews/{review_id}", tag = "reviews",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review"), IdempotencyKeyHeader),
    request_body = ReviewRequest,
    responses(
        (status = 200, description = "Edited (or unchanged), pending moderation", body = ReviewAnswer),
        (status = 403, description = "Not the review's author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "More than 30 days after it was submitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid rating, title or body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn edit_review(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(review_id): Path<Uuid>,
    Json(req): Json<ReviewRequest>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(review_id, &req))?;
    if req.order_id.is_some() {
        return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
            "order_id",
            "cannot be changed",
        )]));
    }
    let text = req.parse()?;
    let outcome = reviews::edit(&state, actor(&user), review_id, text, key.as_ref()).await?;
    Ok(answer(&outcome, StatusCode::OK))
}

/// Approve a review
///
/// An admin publishes a review: it is shown on the product and counted in its rating.
#[utoipa::path(
    post, path = "/v1/reviews/{review_id}/approve", tag = "reviews",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Approved (or already approved)", body = ReviewAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown review", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn approve_review(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(review_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&review_id)?;
    let outcome = reviews::moderate(
        &state,
        actor(&user),
        review_id,
        Moderation::Approve,
        key.as_ref(),
    )
    .await?;
    Ok(answer(&outcome, StatusCode::OK))
}

/// Reject a review
///
/// An admin refuses a review (or withdraws an approved one) with a reason for its author.
#[utoipa::path(
    post, path = "/v1/reviews/{review_id}/reject", tag = "reviews",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review"), IdempotencyKeyHeader),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "Rejected (or already rejected)", body = ReviewAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown review", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reason", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reject_review(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(review_id): Path<Uuid>,
    Json(req): Json<RejectRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&(review_id, &req))?;
    let mut fields = Fields::default();
    let reason = fields.check("reason", RejectReason::parse(&req.reason));
    fields.finish()?;
    let Some(reason) = reason else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "invariant: a reason without field errors parses"
        )));
    };
    let moderation = Moderation::Reject { reason };
    let outcome =
        reviews::moderate(&state, actor(&user), review_id, moderation, key.as_ref()).await?;
    Ok(answer(&outcome, StatusCode::OK))
}

/// Mark a review helpful
///
/// A buyer finds an approved review of someone else helpful; once per buyer (a repeat
/// changes nothing). "Most helpful" sorts by these votes.
#[utoipa::path(
    post, path = "/v1/reviews/{review_id}/helpful", tag = "reviews",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Counted (or counted before)", body = ReviewAnswer),
        (status = 403, description = "Not a buyer, or the review's author", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The review is not approved", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn mark_helpful(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(review_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = key.for_request(&review_id)?;
    let outcome = reviews::mark_helpful(&state, actor(&user), review_id, key.as_ref()).await?;
    Ok(answer(&outcome, StatusCode::OK))
}
