//! `checkout::run`: cart → priced orders (one per seller) → stock reserved → Snap transaction,
//! recorded in `checkout-{id}` where the id derives from (buyer, Idempotency-Key).
//!
//! Exactly one request runs a checkout: `CheckoutStarted` is appended only to a new stream
//! (and `CheckoutResumed` only at the exact version read), so a concurrent request with the
//! same key finds the claim taken and is refused with [`Rule::InProgress`]; it never starts a
//! second Snap transaction and cannot touch the winner's orders. A finished checkout's
//! [`CheckoutOutcome`] is recorded and replayed to every retry.
//!
//! A new checkout is first prepared from reads alone (the cart, its limits, the prices, the
//! plan), and claimed together with that plan, or with its answer when the cart is refused
//! already: one append, where a claim, a plan and an answer would be three. Nothing is held
//! (no wallet debit, no open-checkout slot, no reservation) before the claim.
//!
//! Attempts: an unanswered checkout whose last claim is older than the in-flight window died
//! with its process. A retry resumes it as attempt n+1: it first finishes the dead attempt if
//! that one got as far as the payment, and otherwise gives back everything the dead attempt
//! planned (orders cancelled, reservations released) and runs afresh. Reservation, order and
//! payment ids derive from (checkout, attempt), so a reservation released meanwhile is never
//! mistaken for this attempt's own. Failures after a reservation release it before answering
//! ([`attempt`]).

mod attempt;
pub mod open;
mod record;
mod snap;
mod steps;
mod wallet;

use chrono::Utc;
use pasar_domain::values::Address;
use pasar_events::types::{CheckoutEvent, CheckoutOutcome, streams};
use pasar_events::{DomainEvent, ExpectedVersion, Metadata, StoreError};
use uuid::Uuid;

use super::exec::derive_id;
pub use super::shipping::choose::Shipment;
use super::{Actor, AppError, AppState, Rule};
use attempt::Prepared;
use record::Record;

/// `POST /v1/checkout` with its input parsed.
pub struct CheckoutCommand {
    pub buyer: Actor,
    pub idempotency_key: String,
    /// Hash of the request body: the same key with another body is refused.
    pub request_hash: String,
    pub address: Address,
    /// One per seller when shipping is configured (see [`crate::app::shipping::choose`]).
    pub shipments: Vec<Shipment>,
    /// `pay_with_wallet`: what the buyer's wallet pays (zero: nothing), the rest through Snap.
    pub wallet_amount: pasar_events::types::Money,
}

/// Runs the checkout, or replays its recorded outcome.
pub async fn run(state: &AppState, cmd: CheckoutCommand) -> Result<CheckoutOutcome, AppError> {
    let checkout_id = derive_id(&["checkout", &cmd.buyer.id.to_string(), &cmd.idempotency_key]);
    let stream = streams::checkout(checkout_id);
    let metadata = Metadata {
        correlation_id: Some(checkout_id),
        actor_id: Some(cmd.buyer.id),
        idempotency_key: Some(cmd.idempotency_key.clone()),
        ..Metadata::default()
    };
    let attempt = |attempt| attempt::Attempt {
        state,
        buyer: cmd.buyer,
        checkout_id,
        attempt,
        stream: &stream,
        metadata: &metadata,
        address: &cmd.address,
        shipments: &cmd.shipments,
        wallet: cmd.wallet_amount,
    };
    // Most checkouts are new: prepare attempt 1 from reads, then claim the new stream together
    // with its plan (or its early answer) in one append. The stream is read only when it
    // exists already (a retry, a concurrent request with the same key, a dead attempt).
    let first = attempt(1);
    let prepared = first.prepare().await?;
    match start(state, &cmd, checkout_id, &stream, &prepared, &metadata).await {
        Ok(()) => {
            crate::crash::point("checkout.claimed");
            if let Prepared::Refused(reason) = prepared {
                return Ok(attempt::rejected(reason)); // recorded with the claim
            }
            crate::crash::point("checkout.planned");
            let outcome = first.run_prepared(prepared).await;
            return conclude(&first, outcome).await;
        }
        Err(StoreError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let record = Record::read(state.store.as_ref(), &stream).await?;
    if record
        .request_hash
        .as_deref()
        .is_some_and(|h| h != cmd.request_hash)
    {
        return Err(Rule::IdempotencyKeyReused.into());
    }
    if let Some(outcome) = record.answer.clone() {
        return Ok(outcome);
    }
    let run = attempt(claim(state, &cmd, checkout_id, &stream, &record, &metadata).await?);
    crate::crash::point("checkout.claimed");
    let outcome = match record.unfinished_plans() {
        plans if plans.is_empty() => run.run().await,
        plans => run.resume(plans).await,
    };
    conclude(&run, outcome).await
}

/// Records the outcome for every retry; after a failure (everything held already given
/// back), frees the key so a retry need not wait out the in-flight window.
async fn conclude(
    run: &attempt::Attempt<'_>,
    outcome: Result<CheckoutOutcome, AppError>,
) -> Result<CheckoutOutcome, AppError> {
    let (event, seed) = match &outcome {
        Ok(outcome) => {
            let outcome = outcome.clone();
            (
                CheckoutEvent::CheckoutAnswered { outcome },
                run.seed("answered"),
            )
        }
        Err(_) => {
            let attempt = run.attempt;
            (
                CheckoutEvent::CheckoutAttemptAbandoned { attempt },
                run.seed("abandoned"),
            )
        }
    };
    let recorded = append(
        run.state,
        run.stream,
        ExpectedVersion::Any,
        &event,
        &seed,
        run.metadata,
    )
    .await;
    crate::crash::point("checkout.answered");
    match (outcome, recorded) {
        (Ok(outcome), Ok(())) => Ok(outcome),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), recorded) => {
            if let Err(append_error) = recorded {
                tracing::warn!(error = %append_error, "could not record an abandoned checkout attempt");
            }
            Err(e)
        }
    }
}

/// Takes a new checkout for this request as attempt 1: `CheckoutStarted` as the stream's
/// first event, with what attempt 1 prepared (its plan, or its answer). A conflict means the
/// stream exists (see [`claim`]).
async fn start(
    state: &AppState,
    cmd: &CheckoutCommand,
    checkout_id: Uuid,
    stream: &str,
    prepared: &Prepared,
    metadata: &Metadata,
) -> Result<(), StoreError> {
    // Fresh event ids: derived ones would make a concurrent claimant's append look like an
    // idempotent retry of ours (or a duplicate id), and both would run.
    let events = [started(cmd, checkout_id), prepared.event()]
        .iter()
        .map(|event| event.to_new_event(Uuid::now_v7(), metadata.clone()))
        .collect();
    state
        .store
        .append(stream, ExpectedVersion::NoStream, events)
        .await
        .map(drop)
}

fn started(cmd: &CheckoutCommand, checkout_id: Uuid) -> CheckoutEvent {
    CheckoutEvent::CheckoutStarted {
        checkout_id,
        customer_id: cmd.buyer.id,
        idempotency_key: cmd.idempotency_key.clone(),
        request_hash: cmd.request_hash.clone(),
        started_at: Utc::now(),
    }
}

/// Takes the checkout for this request once its stream was read: attempt 1 if the stream
/// turned out empty, or attempt n+1 after a dead or abandoned attempt n. Refused with
/// [`Rule::InProgress`] while another request holds it.
async fn claim(
    state: &AppState,
    cmd: &CheckoutCommand,
    checkout_id: Uuid,
    stream: &str,
    record: &Record,
    metadata: &Metadata,
) -> Result<u32, AppError> {
    let now = Utc::now();
    let (event, attempt) = match record.last_claim_at {
        None => (started(cmd, checkout_id), 1),
        Some(at) => {
            let window = chrono::Duration::from_std(state.config.checkout.in_flight)
                .map_err(anyhow::Error::from)?;
            if !record.abandoned && now - at < window {
                return Err(Rule::InProgress.into());
            }
            let attempt = record.attempt + 1;
            (
                CheckoutEvent::CheckoutResumed {
                    attempt,
                    resumed_at: now,
                },
                attempt,
            )
        }
    };
    // A fresh event id, as in [`start`].
    let seed = Uuid::now_v7();
    let expected = ExpectedVersion::from_loaded(record.version);
    match append(state, stream, expected, &event, &seed, metadata).await {
        Ok(()) => Ok(attempt),
        Err(StoreError::Conflict { .. }) => Err(Rule::InProgress.into()),
        Err(e) => Err(e.into()),
    }
}

async fn append(
    state: &AppState,
    stream: &str,
    expected: ExpectedVersion,
    event: &CheckoutEvent,
    seed: &Uuid,
    metadata: &Metadata,
) -> Result<(), StoreError> {
    let new_event = event.to_new_event(*seed, metadata.clone());
    state
        .store
        .append(stream, expected, vec![new_event])
        .await
        .map(drop)
}
