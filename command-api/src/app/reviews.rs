//! Product reviews (`review-{id}`): posted by a buyer for an order line of theirs that was
//! delivered or completed, edited by their author, moderated by admins, voted helpful by
//! other buyers.
//!
//! A review's id derives from its order line ([`review_id_of`]), so the review stream is the
//! line's claim: two posts for one line decide on the same stream, and the second is refused.

use chrono::Utc;
use pasar_domain::order::Order;
use pasar_domain::review::{
    Rating, RejectReason, Review, ReviewBody, ReviewCommand, ReviewError, ReviewTitle, review_id_of,
};
use pasar_events::types::streams;
use pasar_events::types::{OrderStatus, Role};
use uuid::Uuid;

use super::exec::{EventIds, Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule};
use crate::processes::database_down;

/// What a buyer writes.
#[derive(Debug, Clone)]
pub struct ReviewText {
    pub rating: Rating,
    pub title: ReviewTitle,
    pub body: ReviewBody,
}

/// An admin's decision on a review.
#[derive(Debug, Clone)]
pub enum Moderation {
    Approve,
    Reject { reason: RejectReason },
}

/// Posts the actor's review of `product_id` for the oldest delivered or completed order line
/// of theirs that has none yet (or for the line of `order_id`, when named). Answers the
/// review's id and the outcome.
pub async fn submit(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    order_id: Option<Uuid>,
    text: ReviewText,
    key: Option<&Idempotency>,
) -> Result<(Uuid, Outcome<Review>), AppError> {
    if actor.role != Role::Buyer {
        return Err(Rule::NotABuyer.into());
    }
    let ids = idempotency::event_ids(state, "review-submit", actor.id, key).await?;
    let lines = received_lines(state, actor.id, product_id, order_id).await?;
    if lines.is_empty() {
        return Err(Rule::NotReceived.into());
    }
    let now = Utc::now();
    for order_id in lines {
        let review_id = review_id_of(order_id, product_id);
        let command = ReviewCommand::Submit {
            review_id,
            product_id,
            order_id,
            author_id: actor.id,
            rating: text.rating,
            title: text.title.clone(),
            body: text.body.clone(),
            now,
        };
        // Per line, so a retry with the key finds its own review on the line it took.
        let ids = match ids {
            EventIds::Derived(seed) => EventIds::Derived(Uuid::new_v5(&seed, review_id.as_bytes())),
            EventIds::Random => EventIds::Random,
        };
        let stream = streams::review(review_id);
        match execute::<Review>(&state.store, &stream, &command, ids, &actor.metadata()).await {
            Ok(outcome) => return Ok((review_id, outcome)),
            Err(AppError::Rejected(Rule::Review(ReviewError::AlreadyReviewed))) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(ReviewError::AlreadyReviewed.into())
}

/// The orders (oldest first) in which `buyer` received `product_id`: delivered or completed,
/// read from each order's stream. Only `order_id` when it is named.
async fn received_lines(
    state: &AppState,
    buyer: Uuid,
    product_id: Uuid,
    order_id: Option<Uuid>,
) -> Result<Vec<Uuid>, AppError> {
    let client = state.pool.get().await.map_err(database_down)?;
    let rows = client
        .query(
            "SELECT order_id FROM review_order_lines
             WHERE buyer_id = $1 AND product_id = $2 AND ($3::uuid IS NULL OR order_id = $3)
             ORDER BY placed_at, order_id LIMIT 100",
            &[&buyer, &product_id, &order_id],
        )
        .await
        .map_err(database_down)?;
    let mut received = Vec::new();
    for row in rows {
        let order_id: Uuid = row.get(0);
        let order = load::<Order>(state.store.as_ref(), &streams::order(order_id))
            .await?
            .state;
        let delivered = matches!(
            order.status,
            Some(OrderStatus::Delivered | OrderStatus::Completed)
        );
        if delivered && order.buyer_id == buyer {
            received.push(order_id);
        }
    }
    Ok(received)
}

/// The author edits their review (within 30 days); it goes back to moderation.
pub async fn edit(
    state: &AppState,
    actor: Actor,
    review_id: Uuid,
    text: ReviewText,
    key: Option<&Idempotency>,
) -> Result<Outcome<Review>, AppError> {
    let command = ReviewCommand::Edit {
        author_id: actor.id,
        rating: text.rating,
        title: text.title,
        body: text.body,
        now: Utc::now(),
    };
    run(state, actor, review_id, "review-edit", command, key).await
}

/// An admin approves or rejects a review.
pub async fn moderate(
    state: &AppState,
    actor: Actor,
    review_id: Uuid,
    moderation: Moderation,
    key: Option<&Idempotency>,
) -> Result<Outcome<Review>, AppError> {
    if actor.role != Role::Admin {
        return Err(Rule::AdminOnly.into());
    }
    let now = Utc::now();
    let (action, command) = match moderation {
        Moderation::Approve => ("review-approve", ReviewCommand::Approve { now }),
        Moderation::Reject { reason } => ("review-reject", ReviewCommand::Reject { reason, now }),
    };
    run(state, actor, review_id, action, command, key).await
}

/// A buyer marks an approved review of someone else helpful (once).
pub async fn mark_helpful(
    state: &AppState,
    actor: Actor,
    review_id: Uuid,
    key: Option<&Idempotency>,
) -> Result<Outcome<Review>, AppError> {
    if actor.role != Role::Buyer {
        return Err(Rule::NotABuyer.into());
    }
    let command = ReviewCommand::MarkHelpful {
        voter_id: actor.id,
        now: Utc::now(),
    };
    run(state, actor, review_id, "review-helpful", command, key).await
}

async fn run(
    state: &AppState,
    actor: Actor,
    review_id: Uuid,
    action: &str,
    command: ReviewCommand,
    key: Option<&Idempotency>,
) -> Result<Outcome<Review>, AppError> {
    let ids = idempotency::event_ids(state, action, actor.id, key).await?;
    let stream = streams::review(review_id);
    execute::<Review>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
