//! `POST /v1/wallet/top-ups`: the top-up is noted on the wallet (`WalletTopUpRequested`),
//! a Snap transaction is created for it (Midtrans `order_id` = the top-up's payment id) and
//! recorded as a payment without orders. The webhook records its notifications like any
//! payment's; the `wallet-credits` processor credits the wallet once it settles, for exactly
//! the amount asked (a mismatch never settles, so never credits).

use chrono::Utc;
use pasar_domain::payment::{Payment, PaymentCommand, PaymentStatus};
use pasar_domain::wallet::{Wallet, WalletCommand};
use pasar_events::Position;
use pasar_events::types::{CheckoutRejection, Money, streams};
use serde_json::json;
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
/// retry answers the same Snap page (never a second transaction).
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
    let started = load::<Payment>(state.store.as_ref(), &payment_stream).await?;
    if started.state.status != PaymentStatus::NotInitiated {
        let position = started.last_position.unwrap_or_default();
        return Ok(answer(&started.state, position));
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
    let snap = snap_page(state, payment_id, amount).await?;
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

/// The Snap transaction of a top-up: one item, the top-up itself; the page closes after the
/// payment timeout. Midtrans failing is [`CheckoutRejection::PaymentNotStarted`] (502).
async fn snap_page(
    state: &AppState,
    payment_id: Uuid,
    amount: Money,
) -> Result<crate::midtrans::SnapTransaction, AppError> {
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
            tracing::warn!(error = ?e, payment = %payment_id, "Snap transaction of a top-up not created");
            AppError::Rejected(Rule::Checkout(CheckoutRejection::PaymentNotStarted))
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
