//! An order's life after checkout: shipped by its seller, delivered (an admin, standing in for
//! a courier's status), completed by its buyer after delivery (or by
//! [`crate::processes::auto_complete`] after `ORDER_AUTO_COMPLETE_DAYS`), and cancelled by its
//! buyer while it awaits payment. The state machine is the domain's ([`Order`]); here, who may
//! move which order, and what must happen at Midtrans first.

use std::sync::Arc;

use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand, OrderError};
use pasar_domain::payment::{Payment, PaymentStatus};
use pasar_events::EventStore;
use pasar_events::types::{Money, OrderStatus, Role, streams};
use uuid::Uuid;

use super::exec::{EventIds, Outcome, derive_id, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Dependency, Rule, payments};
use crate::midtrans::ExpiryDecision;

/// A move on one order, as its caller asked for it.
#[derive(Debug, Clone)]
pub enum Move {
    /// By the order's seller or an admin, once paid.
    Ship {
        courier: String,
        tracking_number: String,
    },
    /// By an admin (a courier's delivery status, entered by hand until a courier feed exists).
    Deliver,
    /// By the order's buyer (or an admin), once delivered.
    Complete,
}

impl Move {
    fn action(&self) -> &'static str {
        match self {
            Move::Ship { .. } => "order-ship",
            Move::Deliver => "order-deliver",
            Move::Complete => "order-complete",
        }
    }

    /// Whether `actor` may make this move on `order`.
    fn allowed(&self, order: &Order, actor: Actor) -> bool {
        actor.role == Role::Admin
            || match self {
                Move::Ship { .. } => order.seller_id == actor.id,
                Move::Deliver => false,
                Move::Complete => order.buyer_id == actor.id,
            }
    }

    fn command(self) -> OrderCommand {
        let now = Utc::now();
        match self {
            Move::Ship {
                courier,
                tracking_number,
            } => OrderCommand::Ship {
                courier,
                tracking_number,
                now,
            },
            Move::Deliver => OrderCommand::Deliver { now },
            Move::Complete => OrderCommand::Complete { now },
        }
    }
}

/// The order `order_id` as `actor` may see it: its buyer, its seller and admins; anyone else
/// is told it does not exist.
async fn visible_order(
    store: &dyn EventStore,
    actor: Actor,
    order_id: Uuid,
) -> Result<Order, AppError> {
    let order = load::<Order>(store, &streams::order(order_id)).await?.state;
    let party =
        actor.role == Role::Admin || order.buyer_id == actor.id || order.seller_id == actor.id;
    if order.status.is_none() || !party {
        return Err(OrderError::NotPlaced.into());
    }
    Ok(order)
}

/// Makes `change` on the order, if `actor` may. An illegal move for the order's state is the
/// domain's refusal (409 naming the state).
pub async fn change(
    state: &AppState,
    actor: Actor,
    order_id: Uuid,
    change: Move,
    key: Option<&Idempotency>,
) -> Result<Outcome<Order>, AppError> {
    let order = visible_order(state.store.as_ref(), actor, order_id).await?;
    if !change.allowed(&order, actor) {
        return Err(Rule::NotOrderParty.into());
    }
    let ids = idempotency::event_ids(state, change.action(), actor.id, key).await?;
    let stream = streams::order(order_id);
    let command = change.command();
    execute::<Order>(&state.store, &stream, &command, ids, &actor.metadata()).await
}

/// Cancels an order:
/// - unpaid, at its buyer's (or an admin's) request, with every other order of its checkout:
///   they share one Snap transaction, which is closed at Midtrans first so that it can no
///   longer be paid. A payment that arrives anyway (a page still open) is a late settlement:
///   the orders are revived if their stock is still there, else it is refunded. The order flow
///   releases the stock of each cancelled order;
/// - paid and not shipped, at its seller's (or an admin's) request: cancelled, and all it cost
///   asked back for the buyer in the same step ([`super::super::processes::order_refunds`]
///   carries the refund out). Its stock was committed and stays sold.
///
/// Answers the cancelled orders.
pub async fn cancel(
    state: &AppState,
    actor: Actor,
    order_id: Uuid,
    reason: String,
) -> Result<Vec<Order>, AppError> {
    let store = state.store.as_ref();
    let order = visible_order(store, actor, order_id).await?;
    let admin = actor.role == Role::Admin;
    match order.status {
        Some(OrderStatus::AwaitingPayment) if admin || order.buyer_id == actor.id => {
            cancel_unpaid(state, actor, &order, reason).await
        }
        Some(OrderStatus::Paid) if admin || order.seller_id == actor.id => {
            let command = OrderCommand::CancelPaid {
                refund_id: derive_id(&["cancel-refund", &order_id.to_string()]),
                reason,
                now: Utc::now(),
            };
            let ids = EventIds::Derived(derive_id(&["order-cancel-paid", &order_id.to_string()]));
            let stream = streams::order(order_id);
            let outcome =
                execute::<Order>(&state.store, &stream, &command, ids, &actor.metadata()).await?;
            Ok(vec![outcome.state])
        }
        // The seller may not cancel an order its buyer has not paid, nor the buyer a paid one.
        Some(OrderStatus::AwaitingPayment) => Err(Rule::NotOrderParty.into()),
        _ => Err(not_cancellable(&order)),
    }
}

/// Asks for `amount` of a paid order back for its buyer (an admin). The refund's id comes
/// from the idempotency key when there is one, so a retried request is the same refund; the
/// refund processor carries it out through Midtrans. Answers the order with the refund pending,
/// and the refund's id.
pub async fn request_refund(
    state: &AppState,
    actor: Actor,
    order_id: Uuid,
    amount: i64,
    reason: String,
    key: Option<&Idempotency>,
) -> Result<(Outcome<Order>, Uuid), AppError> {
    let order = visible_order(state.store.as_ref(), actor, order_id).await?;
    if actor.role != Role::Admin {
        return Err(Rule::NotOrderParty.into());
    }
    let ids = idempotency::event_ids(state, "order-refund", actor.id, key).await?;
    let refund_id = match ids {
        EventIds::Derived(seed) => Uuid::new_v5(&seed, b"refund"),
        EventIds::Random => Uuid::now_v7(),
    };
    let command = OrderCommand::RequestRefund {
        refund_id,
        amount: Money {
            amount,
            ..order.total
        },
        reason,
        now: Utc::now(),
    };
    let stream = streams::order(order_id);
    let outcome = execute::<Order>(&state.store, &stream, &command, ids, &actor.metadata()).await?;
    Ok((outcome, refund_id))
}

async fn cancel_unpaid(
    state: &AppState,
    actor: Actor,
    order: &Order,
    reason: String,
) -> Result<Vec<Order>, AppError> {
    let (store, order_id) = (state.store.as_ref(), order.order_id);
    let payment = load::<Payment>(store, &streams::payment(order.payment_id))
        .await?
        .state;
    if payment.status != PaymentStatus::NotInitiated {
        close_at_midtrans(state, order).await?;
    }
    let order_ids = if payment.order_ids.is_empty() {
        vec![order_id]
    } else {
        payment.order_ids.clone()
    };
    let mut cancelled = Vec::new();
    for id in order_ids {
        cancelled.push(cancel_one(&state.store, actor, id, &reason).await?);
    }
    Ok(cancelled)
}

/// Stops the order's Snap transaction from being paid; refuses the cancellation if Midtrans
/// says it was paid meanwhile (recording that, as the webhook would).
async fn close_at_midtrans(state: &AppState, order: &Order) -> Result<(), AppError> {
    let payment_id = order.payment_id;
    match state
        .midtrans
        .close_unpaid(&payment_id.to_string(), true)
        .await
    {
        Ok(ExpiryDecision::ExpireOrder) => Ok(()),
        Ok(ExpiryDecision::ActOnStatus(status)) => {
            payments::record_status(&state.store, payment_id, &status, Utc::now()).await?;
            Err(Rule::PaidMeanwhile.into())
        }
        Ok(ExpiryDecision::TryLater) => Err(AppError::Unavailable {
            dependency: Dependency::PaymentProvider,
            detail: "Midtrans would not close the transaction yet".into(),
        }),
        Err(e) => Err(AppError::Unavailable {
            dependency: Dependency::PaymentProvider,
            detail: e.to_string(),
        }),
    }
}

async fn cancel_one(
    store: &Arc<dyn EventStore>,
    actor: Actor,
    order_id: Uuid,
    reason: &str,
) -> Result<Order, AppError> {
    let command = OrderCommand::Cancel {
        reason: reason.to_owned(),
        now: Utc::now(),
    };
    // One cancellation per order, however often it is asked for.
    let ids = EventIds::Derived(derive_id(&["order-cancel", &order_id.to_string()]));
    let stream = streams::order(order_id);
    match execute::<Order>(store, &stream, &command, ids, &actor.metadata()).await {
        Ok(outcome) => Ok(outcome.state),
        // Expired (or cancelled by its sibling's request) meanwhile: closed all the same.
        Err(AppError::Rejected(Rule::Order(OrderError::InvalidTransition {
            from: OrderStatus::Expired | OrderStatus::Cancelled,
            ..
        }))) => Ok(load::<Order>(store.as_ref(), &stream).await?.state),
        Err(e) => Err(e),
    }
}

fn not_cancellable(order: &Order) -> AppError {
    let from = order.status.unwrap_or(OrderStatus::AwaitingPayment);
    OrderError::InvalidTransition {
        from,
        to: OrderStatus::Cancelled,
    }
    .into()
}
