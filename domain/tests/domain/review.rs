use pasar_domain::review::{
    EDIT_WINDOW_DAYS, Rating, RejectReason, Review, ReviewBody, ReviewCommand, ReviewError,
    ReviewTitle, review_id_of,
};
use pasar_events::types::ReviewEvent;

use crate::support::{at, given, id};

const AUTHOR: u128 = 1;
const PRODUCT: u128 = 3;

fn submitted(rating: u8) -> ReviewEvent {
    ReviewEvent::ReviewSubmitted {
        review_id: id(20),
        product_id: id(PRODUCT),
        order_id: id(4),
        author_id: id(AUTHOR),
        rating,
        title: "Enak".into(),
        body: "<script>alert(1)</script>".into(),
        submitted_at: at(0),
    }
}

fn approved(rating: u8) -> ReviewEvent {
    ReviewEvent::ReviewApproved {
        product_id: id(PRODUCT),
        rating,
        approved_at: at(1),
    }
}

fn submit() -> ReviewCommand {
    ReviewCommand::Submit {
        review_id: id(20),
        product_id: id(PRODUCT),
        order_id: id(4),
        author_id: id(AUTHOR),
        rating: Rating::parse(4).unwrap(),
        title: ReviewTitle::parse("Enak").unwrap(),
        body: ReviewBody::parse("<script>alert(1)</script>").unwrap(),
        now: at(0),
    }
}

fn edit(author: u128, rating: i64, minutes: i64) -> ReviewCommand {
    ReviewCommand::Edit {
        author_id: id(author),
        rating: Rating::parse(rating).unwrap(),
        title: ReviewTitle::parse("Enak").unwrap(),
        body: ReviewBody::parse("Ganti").unwrap(),
        now: at(minutes),
    }
}

#[test]
fn a_submitted_review_is_pending_with_its_text_as_given() {
    let review = given::<Review>([]).when(submit()).then([submitted(4)]);
    assert_eq!(review.body, "<script>alert(1)</script>");
    assert_eq!(review.status.map(|s| s.as_str()), Some("pending"));
}

#[test]
fn an_order_line_is_reviewed_once() {
    given::<Review>([submitted(4)])
        .when(submit())
        .then_rejected(ReviewError::AlreadyReviewed);
}

#[test]
fn ratings_are_one_to_five_stars() {
    assert!(Rating::parse(0).is_err());
    assert!(Rating::parse(6).is_err());
    assert!(Rating::parse(-1).is_err());
    assert_eq!(Rating::parse(5).unwrap().get(), 5);
}

#[test]
fn review_ids_follow_the_order_line() {
    assert_eq!(review_id_of(id(4), id(3)), review_id_of(id(4), id(3)));
    assert_ne!(review_id_of(id(4), id(3)), review_id_of(id(5), id(3)));
}

#[test]
fn approving_publishes_the_rating_once() {
    given::<Review>([submitted(4)])
        .when(ReviewCommand::Approve { now: at(1) })
        .then([approved(4)]);
    given::<Review>([submitted(4), approved(4)])
        .when(ReviewCommand::Approve { now: at(2) })
        .then_nothing();
}

#[test]
fn rejecting_an_approved_review_takes_its_rating_out() {
    given::<Review>([submitted(4), approved(4)])
        .when(ReviewCommand::Reject {
            reason: RejectReason::parse("spam").unwrap(),
            now: at(2),
        })
        .then([ReviewEvent::ReviewRejected {
            product_id: id(PRODUCT),
            reason: "spam".into(),
            unpublished_rating: Some(4),
            rejected_at: at(2),
        }]);
}

#[test]
fn an_edit_goes_back_to_moderation_and_only_its_author_may_make_it() {
    let review = given::<Review>([submitted(4), approved(4)])
        .when(edit(AUTHOR, 2, 10))
        .then([ReviewEvent::ReviewEdited {
            product_id: id(PRODUCT),
            rating: 2,
            title: "Enak".into(),
            body: "Ganti".into(),
            unpublished_rating: Some(4),
            edited_at: at(10),
        }]);
    assert_eq!(review.status.map(|s| s.as_str()), Some("pending"));
    given::<Review>([submitted(4)])
        .when(edit(2, 2, 10))
        .then_rejected(ReviewError::NotAuthor);
}

#[test]
fn edits_close_thirty_days_after_submitting() {
    let late = EDIT_WINDOW_DAYS * 24 * 60 + 1;
    given::<Review>([submitted(4)])
        .when(edit(AUTHOR, 2, late))
        .then_rejected(ReviewError::EditWindowClosed);
    given::<Review>([submitted(4)])
        .when(edit(AUTHOR, 2, late - 2))
        .events();
}

#[test]
fn helpful_votes_are_one_per_buyer_on_approved_reviews_of_others() {
    let vote = |voter: u128| ReviewCommand::MarkHelpful {
        voter_id: id(voter),
        now: at(5),
    };
    given::<Review>([submitted(4)])
        .when(vote(2))
        .then_rejected(ReviewError::NotPublished);
    given::<Review>([submitted(4), approved(4)])
        .when(vote(AUTHOR))
        .then_rejected(ReviewError::OwnReview);
    let marked = ReviewEvent::ReviewMarkedHelpful {
        product_id: id(PRODUCT),
        voter_id: id(2),
        marked_at: at(5),
    };
    given::<Review>([submitted(4), approved(4)])
        .when(vote(2))
        .then([marked.clone()]);
    given::<Review>([submitted(4), approved(4), marked])
        .when(vote(2))
        .then_nothing();
}

#[test]
fn nothing_but_submitting_works_on_a_review_that_does_not_exist() {
    given::<Review>([])
        .when(ReviewCommand::Approve { now: at(1) })
        .then_rejected(ReviewError::NotFound);
}
