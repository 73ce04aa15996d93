//! A buyer's review of a product they received (`review-{id}`).
//!
//! A review belongs to one order line: its id derives from the order and the product, so two
//! posts for the same line land on the same stream and the second is refused
//! ([`ReviewError::AlreadyReviewed`]). Whether the author may review that line (a delivered or
//! completed order of theirs holding the product) is checked by the caller, who names the
//! line in the command.
//!
//! ```text
//! pending ─► approved ─► rejected
//!    ▲  └──► rejected ─► approved
//!    └── edited by its author (within 30 days of submitting) from any state
//! ```
//!
//! Only approved reviews are public. An edit sends the review back to moderation, so nothing
//! unmoderated is ever shown. Helpful votes: one per buyer, on approved reviews, never on
//! one's own.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use pasar_events::types::{ReviewEvent, ReviewStatus};
use uuid::Uuid;

use crate::Aggregate;
use crate::values::{Text, ValueError};

/// How long after submitting its author may edit a review.
pub const EDIT_WINDOW_DAYS: i64 = 30;
/// A review's title: 1 to 120 characters.
pub type ReviewTitle = Text<1, 120>;
/// A review's body: up to 5,000 characters.
pub type ReviewBody = Text<0, 5000>;
/// Why an admin rejected a review: 1 to 500 characters.
pub type RejectReason = Text<1, 500>;

/// One to five stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating(u8);

impl Rating {
    pub fn parse(raw: i64) -> Result<Rating, ValueError> {
        match u8::try_from(raw) {
            Ok(stars @ 1..=5) => Ok(Rating(stars)),
            _ => Err(ValueError::Range { min: 1, max: 5 }),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Review {
    /// `None` until submitted.
    pub status: Option<ReviewStatus>,
    pub review_id: Uuid,
    pub product_id: Uuid,
    pub order_id: Uuid,
    pub author_id: Uuid,
    pub rating: u8,
    pub title: String,
    pub body: String,
    pub submitted_at: DateTime<Utc>,
    pub reject_reason: Option<String>,
    /// Buyers who found it helpful.
    pub voters: BTreeSet<Uuid>,
}

impl Review {
    pub fn exists(&self) -> bool {
        self.status.is_some()
    }

    /// The rating that leaves the public summary if the review stops being approved.
    fn published_rating(&self) -> Option<u8> {
        (self.status == Some(ReviewStatus::Approved)).then_some(self.rating)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ReviewCommand {
    Submit {
        review_id: Uuid,
        product_id: Uuid,
        order_id: Uuid,
        author_id: Uuid,
        rating: Rating,
        title: ReviewTitle,
        body: ReviewBody,
        now: DateTime<Utc>,
    },
    Edit {
        author_id: Uuid,
        rating: Rating,
        title: ReviewTitle,
        body: ReviewBody,
        now: DateTime<Utc>,
    },
    Approve {
        now: DateTime<Utc>,
    },
    Reject {
        reason: RejectReason,
        now: DateTime<Utc>,
    },
    MarkHelpful {
        voter_id: Uuid,
        now: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("this order line has been reviewed already")]
    AlreadyReviewed,
    #[error("no such review")]
    NotFound,
    #[error("only its author may edit a review")]
    NotAuthor,
    #[error("a review can be edited for {EDIT_WINDOW_DAYS} days after it was submitted")]
    EditWindowClosed,
    #[error("only approved reviews can be voted on")]
    NotPublished,
    #[error("authors cannot vote on their own review")]
    OwnReview,
}

impl Aggregate for Review {
    type Event = ReviewEvent;
    type Command = ReviewCommand;
    type Error = ReviewError;

    fn decide(&self, command: &ReviewCommand) -> Result<Vec<ReviewEvent>, ReviewError> {
        if let ReviewCommand::Submit { .. } = command {
            return self.submit(command);
        }
        if !self.exists() {
            return Err(ReviewError::NotFound);
        }
        match command {
            ReviewCommand::Submit { .. } => Ok(vec![]),
            ReviewCommand::Edit {
                author_id,
                rating,
                title,
                body,
                now,
            } => self.edit(*author_id, *rating, title, body, *now),
            ReviewCommand::Approve { now } => Ok(self.approve(*now)),
            ReviewCommand::Reject { reason, now } => Ok(self.reject(reason, *now)),
            ReviewCommand::MarkHelpful { voter_id, now } => self.mark_helpful(*voter_id, *now),
        }
    }

    fn evolve(mut self, event: &ReviewEvent) -> Self {
        match event {
            ReviewEvent::ReviewSubmitted {
                review_id,
                product_id,
                order_id,
                author_id,
                rating,
                title,
                body,
                submitted_at,
            } => {
                self.status = Some(ReviewStatus::Pending);
                self.review_id = *review_id;
                self.product_id = *product_id;
                self.order_id = *order_id;
                self.author_id = *author_id;
                self.rating = *rating;
                self.title.clone_from(title);
                self.body.clone_from(body);
                self.submitted_at = *submitted_at;
            }
            ReviewEvent::ReviewEdited {
                rating,
                title,
                body,
                ..
            } => {
                self.status = Some(ReviewStatus::Pending);
                self.rating = *rating;
                self.title.clone_from(title);
                self.body.clone_from(body);
                self.reject_reason = None;
            }
            ReviewEvent::ReviewApproved { .. } => {
                self.status = Some(ReviewStatus::Approved);
                self.reject_reason = None;
            }
            ReviewEvent::ReviewRejected { reason, .. } => {
                self.status = Some(ReviewStatus::Rejected);
                self.reject_reason = Some(reason.clone());
            }
            ReviewEvent::ReviewMarkedHelpful { voter_id, .. } => {
                self.voters.insert(*voter_id);
            }
        }
        self
    }
}

impl Review {
    fn submit(&self, command: &ReviewCommand) -> Result<Vec<ReviewEvent>, ReviewError> {
        let ReviewCommand::Submit {
            review_id,
            product_id,
            order_id,
            author_id,
            rating,
            title,
            body,
            now,
        } = command
        else {
            return Ok(vec![]);
        };
        if self.exists() {
            return Err(ReviewError::AlreadyReviewed);
        }
        Ok(vec![ReviewEvent::ReviewSubmitted {
            review_id: *review_id,
            product_id: *product_id,
            order_id: *order_id,
            author_id: *author_id,
            rating: rating.get(),
            title: title.as_str().to_owned(),
            body: body.as_str().to_owned(),
            submitted_at: *now,
        }])
    }

    fn edit(
        &self,
        author_id: Uuid,
        rating: Rating,
        title: &ReviewTitle,
        body: &ReviewBody,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReviewEvent>, ReviewError> {
        if author_id != self.author_id {
            return Err(ReviewError::NotAuthor);
        }
        if now > self.submitted_at + Duration::days(EDIT_WINDOW_DAYS) {
            return Err(ReviewError::EditWindowClosed);
        }
        let unchanged = rating.get() == self.rating
            && title.as_str() == self.title
            && body.as_str() == self.body;
        if unchanged {
            return Ok(vec![]);
        }
        Ok(vec![ReviewEvent::ReviewEdited {
            product_id: self.product_id,
            rating: rating.get(),
            title: title.as_str().to_owned(),
            body: body.as_str().to_owned(),
            unpublished_rating: self.published_rating(),
            edited_at: now,
        }])
    }

    fn approve(&self, now: DateTime<Utc>) -> Vec<ReviewEvent> {
        if self.status == Some(ReviewStatus::Approved) {
            return vec![];
        }
        vec![ReviewEvent::ReviewApproved {
            product_id: self.product_id,
            rating: self.rating,
            approved_at: now,
        }]
    }

    fn reject(&self, reason: &RejectReason, now: DateTime<Utc>) -> Vec<ReviewEvent> {
        if self.status == Some(ReviewStatus::Rejected) {
            return vec![];
        }
        vec![ReviewEvent::ReviewRejected {
            product_id: self.product_id,
            reason: reason.as_str().to_owned(),
            unpublished_rating: self.published_rating(),
            rejected_at: now,
        }]
    }

    fn mark_helpful(
        &self,
        voter_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<ReviewEvent>, ReviewError> {
        if self.status != Some(ReviewStatus::Approved) {
            return Err(ReviewError::NotPublished);
        }
        if voter_id == self.author_id {
            return Err(ReviewError::OwnReview);
        }
        if self.voters.contains(&voter_id) {
            return Ok(vec![]);
        }
        Ok(vec![ReviewEvent::ReviewMarkedHelpful {
            product_id: self.product_id,
            voter_id,
            marked_at: now,
        }])
    }
}

/// The review id of an order line: one review per line, whoever posts it first.
pub fn review_id_of(order_id: Uuid, product_id: Uuid) -> Uuid {
    let mut name = Vec::with_capacity(32);
    name.extend_from_slice(order_id.as_bytes());
    name.extend_from_slice(product_id.as_bytes());
    Uuid::new_v5(&REVIEW_NAMESPACE, &name)
}

/// Namespace of [`review_id_of`]'s name-based ids.
const REVIEW_NAMESPACE: Uuid = Uuid::from_u128(0x5e1f_0d2a_9c3b_4e7a_8b21_7f0c_4a9d_e311);
