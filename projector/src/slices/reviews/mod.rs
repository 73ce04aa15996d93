//! `reviews`: `rm.reviews` (every review, for its product's page and the moderation queue)
//! and `rm.product_ratings` (each product's summary of approved ratings) from the review
//! streams. Replay-safe: each review row is guarded by its stream version, and a product's
//! summary is recomputed from its approved rows, never incremented.

pub mod queries;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::ReviewEvent;
use pasar_events::types::streams::Category;
use uuid::Uuid;

use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "reviews";

pub struct Reviews;

/// Recomputes a product's summary from its approved reviews.
const SUMMARISE: &str = "INSERT INTO product_ratings (product_id, rating_count, rating_sum,
        rating_1, rating_2, rating_3, rating_4, rating_5)
     SELECT $1, count(*), COALESCE(sum(rating), 0),
        count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2),
        count(*) FILTER (WHERE rating = 3), count(*) FILTER (WHERE rating = 4),
        count(*) FILTER (WHERE rating = 5)
     FROM reviews WHERE product_id = $1 AND status = 'approved'
     ON CONFLICT (product_id) DO UPDATE SET rating_count = excluded.rating_count,
        rating_sum = excluded.rating_sum, rating_1 = excluded.rating_1,
        rating_2 = excluded.rating_2, rating_3 = excluded.rating_3,
        rating_4 = excluded.rating_4, rating_5 = excluded.rating_5";

#[async_trait]
impl Projection for Reviews {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Review]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["reviews", "product_ratings"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Review) {
            return Ok(());
        }
        let id = stream_uuid(event)?;
        let version = event.stream_version;
        let review = decode::<ReviewEvent>(event)?;
        let product_id = review.product_id();
        let public_change = review.summary_change() != (None, None);
        out.push(write(id, version, review));
        if public_change {
            out.push(stmt!(SUMMARISE, product_id));
        }
        Ok(())
    }
}

fn write(id: Uuid, version: i64, event: ReviewEvent) -> Write {
    match event {
        ReviewEvent::ReviewSubmitted {
            product_id,
            order_id,
            author_id,
            rating,
            title,
            body,
            submitted_at,
            ..
        } => stmt!(
            "INSERT INTO reviews (id, product_id, order_id, author_id, rating, title, body,
                status, submitted_at, stream_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)
             ON CONFLICT (id) DO NOTHING",
            id,
            product_id,
            order_id,
            author_id,
            i16::from(rating),
            title,
            body,
            submitted_at,
            version,
        ),
        ReviewEvent::ReviewEdited {
            rating,
            title,
            body,
            edited_at,
            ..
        } => stmt!(
            "UPDATE reviews SET rating = $2, title = $3, body = $4, status = 'pending',
                reject_reason = NULL, edited_at = $5, stream_version = $6
             WHERE id = $1 AND stream_version < $6",
            id,
            i16::from(rating),
            title,
            body,
            edited_at,
            version,
        ),
        ReviewEvent::ReviewApproved { approved_at, .. } => {
            moderated(id, version, None, approved_at)
        }
        ReviewEvent::ReviewRejected {
            reason,
            rejected_at,
            ..
        } => moderated(id, version, Some(reason), rejected_at),
        ReviewEvent::ReviewMarkedHelpful { .. } => stmt!(
            "UPDATE reviews SET helpful = helpful + 1, stream_version = $2
             WHERE id = $1 AND stream_version < $2",
            id,
            version,
        ),
    }
}

/// A moderator's verdict: approved (`reason` is `None`; an earlier rejection's reason is
/// cleared) or rejected with its reason.
fn moderated(id: Uuid, version: i64, reason: Option<String>, at: DateTime<Utc>) -> Write {
    match reason {
        None => stmt!(
            "UPDATE reviews SET status = 'approved', reject_reason = NULL, moderated_at = $2,
                stream_version = $3
             WHERE id = $1 AND stream_version < $3",
            id,
            at,
            version,
        ),
        Some(reason) => stmt!(
            "UPDATE reviews SET status = 'rejected', reject_reason = $2, moderated_at = $3,
                stream_version = $4
             WHERE id = $1 AND stream_version < $4",
            id,
            reason,
            at,
            version,
        ),
    }
}
