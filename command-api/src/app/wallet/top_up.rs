//! `POST /v1/wallet/top-ups`: the top-up is noted on the wallet (`WalletTopUpRequested`),
//! a Snap transaction is created for it (Midtrans `order_id` = the top-up's payment id) and
//! recorded as a payment without orders. The webhook records its notifications like any
//! payment's; the `wallet-credits` processor credits the wallet once it settles, for exactly
//! the amount asked (a mismatch never settles, so never credits).

use std::time::Duration;

use chrono::Utc;
use pasar_domain::payment::{Payment, PaymentCommand, PaymentStatus};
use pasar_domain::wallet::{Wallet, WalletCommand};
use pasar_events::Position;
use pasar_events::types::{CheckoutRejection, Money, streams};
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;

use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::idempotency::Idempotency;
use crate::app::{Actor, AppError, AppState, Rule};
use crate::midtrans::{Item, SnapExpiry, SnapRequest};

/// A started top-up: the Snap page to pay it on.
#[derive(Debug, Clone)]
pub struct TopUp {
    pub payment_id: Uuid,
    pub amount: Money,
    pub snap_token: String,
    pub redirect_url: String,
    pub position: Position,
}

/// Starts a top-up of `amount` rupiah for the actor's wallet. With an `Idempotency-Key`, a
/// retry answers the same Snap page (never a second transaction), and so do requests with one
/// key at the same time: Midtrans takes one `order_id` once, and the others wait for the
/// winner's record.
pub async fn top_up(
    state: &AppState,
    actor: Actor,
    amount: Money,
    key: Option<&Idempotency>,
) -> Result<TopUp, AppError> {
    let seed = match key {
        Some(key) => key.bind(state, "wallet-top-up", actor.id).await?,
        None => Uuid::now_v7(),
    };
    let payment_id = derive_id(&["wallet-top-up", &seed.to_string()]);
    let payment_stream = streams::payment(payment_id);
    if let Some(started) = recorded(state, &payment_stream).await? {
        return Ok(started);
    }
    let metadata = actor.metadata();
    let request = WalletCommand::RequestTopUp {
        payment_id,
        amount,
        now: Utc::now(),
    };
    let ids = EventIds::Derived(derive_id(&[
        "wallet-top-up-requested",
        &payment_id.to_string(),
    ]));
    execute::<Wallet>(
        &state.store,
        &streams::wallet(actor.id),
        &request,
        ids,
        &metadata,
    )
    .await?;
    let snap = match snap_page(state, payment_id, amount).await {
        Ok(snap) => snap,
        // Another request with this key (one at the same time, or one that died) created the
        // Snap transaction first: answer what it records, as soon as it has.
        Err(Snap::Duplicate) => return recorded_elsewhere(state, &payment_stream).await,
        Err(Snap::Failed) => return Err(not_started()),
    };
    let initiate = PaymentCommand::Initiate {
        payment_id,
        checkout_id: payment_id,
        buyer_id: actor.id,
        order_ids: Vec::new(),
        gross_amount: amount,
        snap_token: snap.token,
        redirect_url: snap.redirect_url,
        now: Utc::now(),
    };
    let ids = EventIds::Derived(derive_id(&[
        "wallet-top-up-payment",
        &payment_id.to_string(),
    ]));
    let outcome =
        execute::<Payment>(&state.store, &payment_stream, &initiate, ids, &metadata).await?;
    Ok(answer(&outcome.state, outcome.position))
}

/// How long a request whose Snap create was refused as a duplicate waits for the request that
/// created it to record the payment. That one has its answer from Midtrans already (Midtrans
/// refuses a duplicate only once it took the original) and needs one append, so this bound is
/// only reached when it died in between.
const RECORDED_ELSEWHERE_WAIT: Duration = Duration::from_secs(5);

/// Why a Snap transaction was not created.
enum Snap {
    /// Midtrans already has a transaction with this `order_id`.
    Duplicate,
    /// Any other failure (unreachable, refused, unreadable).
    Failed,
}

/// The payment's Snap page once another request with the same key has recorded it (polled,
/// with a growing pause, for at most [`RECORDED_ELSEWHERE_WAIT`]). When it never is, that
/// request died after Midtrans created the transaction: its token is lost, nobody can open
/// the page (so nothing can be paid or credited through it), and the answer is the 502 of a
/// payment that did not start.
async fn recorded_elsewhere(state: &AppState, payment_stream: &str) -> Result<TopUp, AppError> {
    let deadline = Instant::now() + RECORDED_ELSEWHERE_WAIT;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(started) = recorded(state, payment_stream).await? {
            return Ok(started);
        }
        let now = Instant::now();
        if now >= deadline {
            tracing::warn!(
                stream = payment_stream,
                "a top-up's Snap transaction exists but was never recorded"
            );
            return Err(not_started());
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// The top-up's answer once its payment is recorded as initiated.
async fn recorded(state: &AppState, payment_stream: &str) -> Result<Option<TopUp>, AppError> {
    let payment = load::<Payment>(state.store.as_ref(), payment_stream).await?;
    if payment.state.status == PaymentStatus::NotInitiated {
        return Ok(None);
    }
    let position = payment.last_position.unwrap_or_default();
    Ok(Some(answer(&payment.state, position)))
}

/// The 502 of a top-up whose payment did not start.
fn not_started() -> AppError {
    AppError::Rejected(Rule::Checkout(CheckoutRejection::PaymentNotStarted))
}

/// The Snap transaction of a top-up: one item, the top-up itself; the page closes after the
/// payment timeout.
async fn snap_page(
    state: &AppState,
    payment_id: Uuid,
    amount: Money,
) -> Result<crate::midtrans::SnapTransaction, Snap> {
    let order_id = payment_id.to_string();
    let items = [Item {
        id: "WALLET-TOPUP".into(),
        name: "Pasar wallet top-up".into(),
        price: amount.amount,
        quantity: 1,
    }];
    let request = SnapRequest {
        order_id: &order_id,
        gross_amount: amount.amount,
        items: &items,
        customer: json!({}),
        expiry: SnapExpiry::new(Utc::now(), state.config.payment_timeout),
    };
    state
        .midtrans
        .create_snap_transaction(&request)
        .await
        .map_err(|e| {
            if e.is_duplicate_order_id() {
                tracing::debug!(payment = %payment_id, "a top-up's Snap transaction was created by another request");
                Snap::Duplicate
            } else {
                tracing::warn!(error = ?e, payment = %payment_id, "Snap transaction of a top-up not created");
                Snap::Failed
            }
        })
}

fn answer(payment: &Payment, position: Position) -> TopUp {
    TopUp {
        payment_id: payment.payment_id,
        amount: payment.gross_amount,
        snap_token: payment.snap_token.clone(),
        redirect_url: payment.redirect_url.clone(),
        position,
    }
}
