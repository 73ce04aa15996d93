//! Events of a product review (`review-{id}`). A review's id derives from the order line it
//! reviews, so the stream itself is the "one review per order line" claim.
//!
//! The events that change what the public sees carry the product and the rating moved in or
//! out of its summary, so a reader (the search index) can keep a product's rating without
//! remembering every review.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainEvent;

/// Where a review is in moderation. Serialised in snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    Pending,
    Approved,
    Rejected,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Pending => "pending",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }
}

/// Events of `review-{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ReviewEvent {
    /// A buyer reviewed a product of a delivered (or completed) order; pending moderation.
    /// Title and body are stored as given (trimmed), never interpreted.
    ReviewSubmitted {
        review_id: Uuid,
        product_id: Uuid,
        order_id: Uuid,
        author_id: Uuid,
        /// 1 to 5 stars.
        rating: u8,
        title: String,
        body: String,
        submitted_at: DateTime<Utc>,
    },
    /// Its author changed it; it is pending moderation again. `unpublished_rating` is the
    /// rating that left the product's public summary (the review was approved), else null.
    ReviewEdited {
        product_id: Uuid,
        rating: u8,
        title: String,
        body: String,
        unpublished_rating: Option<u8>,
        edited_at: DateTime<Utc>,
    },
    /// An admin published it: `rating` joins the product's public summary.
    ReviewApproved {
        product_id: Uuid,
        rating: u8,
        approved_at: DateTime<Utc>,
    },
    /// An admin refused it (`reason` is shown to its author). `unpublished_rating`: as in
    /// [`ReviewEvent::ReviewEdited`].
    ReviewRejected {
        product_id: Uuid,
        reason: String,
        unpublished_rating: Option<u8>,
        rejected_at: DateTime<Utc>,
    },
    /// A buyer found the (approved) review helpful; once per buyer.
    ReviewMarkedHelpful {
        product_id: Uuid,
        voter_id: Uuid,
        marked_at: DateTime<Utc>,
    },
}

impl ReviewEvent {
    /// The product the review is about.
    pub fn product_id(&self) -> Uuid {
        match self {
            ReviewEvent::ReviewSubmitted { product_id, .. }
            | ReviewEvent::ReviewEdited { product_id, .. }
            | ReviewEvent::ReviewApproved { product_id, .. }
            | ReviewEvent::ReviewRejected { product_id, .. }
            | ReviewEvent::ReviewMarkedHelpful { product_id, .. } => *product_id,
        }
    }

    /// The ratings this event adds to and removes from the product's public summary.
    pub fn summary_change(&self) -> (Option<u8>, Option<u8>) {
        match self {
            ReviewEvent::ReviewApproved { rating, .. } => (Some(*rating), None),
            ReviewEvent::ReviewEdited {
                unpublished_rating, ..
            }
            | ReviewEvent::ReviewRejected {
                unpublished_rating, ..
            } => (None, *unpublished_rating),
            ReviewEvent::ReviewSubmitted { .. } | ReviewEvent::ReviewMarkedHelpful { .. } => {
                (None, None)
            }
        }
    }
}

impl DomainEvent for ReviewEvent {}
