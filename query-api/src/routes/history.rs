//! An order from the log itself, not from a table: `GET /v1/orders/{id}/history` (every event
//! of the order and of its payment, in log order, with who caused it) and
//! `GET /v1/orders/{id}?as_of=…` (the order folded from its events up to a time or a
//! consistency token). For its buyer, its seller and admins; anyone else gets 404.

use std::sync::Arc;

use axum::Json;
use chrono::{DateTime, Utc};
use pasar_domain::Aggregate;
use pasar_domain::order::Order;
use pasar_domain::payment::{Payment, PaymentStatus};
use pasar_events::types::{PaymentEvent, Role, streams};
use pasar_events::{DomainEvent, EventStore, Position, RecordedEvent};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

/// Most events one history answers (an order and its payment have a few dozen at most).
const MAX_EVENTS: usize = 1_000;

/// The event log, opened on first use (the query API starts before the log may exist).
#[derive(Default)]
pub struct Log(OnceCell<Arc<dyn EventStore>>);

impl Log {
    async fn store(&self, state: &AppState) -> Result<&Arc<dyn EventStore>, ApiError> {
        self.0
            .get_or_try_init(|| async {
                use pasar_events::postgres::PgEventStore;
                let pool = state.pool.clone();
                let store = if state.standby {
                    PgEventStore::standby_with_pool(pool, crate::search::STANDBY_RECHECK).await
                } else {
                    PgEventStore::with_pool(pool).await
                }
                .map_err(|e| ApiError::Unavailable(format!("the event log: {e}")))?;
                Ok::<Arc<dyn EventStore>, ApiError>(Arc::new(store))
            })
            .await
    }
}

/// One event of an order's history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// The consistency token of the event: its place in the log.
    #[schema(example = "812-40")]
    pub position: String,
    /// `order` or `payment`.
    #[schema(value_type = String, example = "order")]
    pub stream: &'static str,
    #[serde(rename = "type")]
    #[schema(example = "OrderShipped")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// `buyer`, `seller`, `admin`, `midtrans` or `system`.
    #[schema(value_type = String, example = "seller")]
    pub actor: &'static str,
    /// The event's fields as recorded (the Snap token and payment page left out).
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct History {
    pub order_id: Uuid,
    pub events: Vec<HistoryEntry>,
}

/// Where in the log `as_of` points: a time (RFC 3339) or a consistency token.
#[derive(Debug, Clone, Copy)]
pub enum AsOf {
    Time(DateTime<Utc>),
    Position(Position),
}

impl AsOf {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
            return Ok(AsOf::Time(time.with_timezone(&Utc)));
        }
        raw.parse::<Position>().map(AsOf::Position).map_err(|_| {
            ApiError::BadRequest("as_of must be an RFC 3339 time or a consistency token".into())
        })
    }

    fn includes(self, event: &RecordedEvent) -> bool {
        match self {
            AsOf::Time(time) => event.recorded_at <= time,
            AsOf::Position(position) => event.position <= position,
        }
    }
}

/// The order's and its payment's events, if `user` may see the order.
async fn events_of(
    state: &AppState,
    user: &AuthUser,
    order_id: Uuid,
) -> Result<(Order, Vec<(&'static str, RecordedEvent)>), ApiError> {
    let not_found = || ApiError::NotFound("no such order".into());
    let store = state.log.store(state).await?;
    let read = |stream: String| async move {
        store
            .read_stream(&stream, 0)
            .await
            .map_err(|e| ApiError::Unavailable(format!("reading the log: {e}")))
    };
    let order_events = read(streams::order(order_id)).await?;
    let order = fold::<Order>(&order_events)?;
    let visible =
        user.role == Role::Admin || order.buyer_id == user.id || order.seller_id == user.id;
    if order.status.is_none() || !visible {
        return Err(not_found());
    }
    let payment_events = read(streams::payment(order.payment_id)).await?;
    let mut events: Vec<(&'static str, RecordedEvent)> = order_events
        .into_iter()
        .map(|e| ("order", e))
        .chain(payment_events.into_iter().map(|e| ("payment", e)))
        .collect();
    events.sort_by_key(|(_, e)| e.position);
    events.truncate(MAX_EVENTS);
    Ok((order, events))
}

fn fold<A: Aggregate>(events: &[RecordedEvent]) -> Result<A, ApiError>
where
    A::Event: DomainEvent,
{
    events.iter().try_fold(A::default(), |state, recorded| {
        let event = A::Event::decode(recorded).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("decoding {}: {e}", recorded.stream))
        })?;
        Ok(state.evolve(&event))
    })
}

/// Who caused `event`: the order's buyer or seller, an admin (any other signed-in actor: only
/// admins may act on others' orders), Midtrans (payment changes without an actor come from its
/// notifications or status checks), or the system (processes: expiry, order flow).
fn actor(order: &Order, stream: &str, event: &RecordedEvent) -> &'static str {
    match event.metadata.actor_id {
        Some(id) if id == order.buyer_id => "buyer",
        Some(id) if id == order.seller_id => "seller",
        Some(_) => "admin",
        None if stream == "payment" && from_midtrans(event) => "midtrans",
        None => "system",
    }
}

fn from_midtrans(event: &RecordedEvent) -> bool {
    matches!(
        PaymentEvent::decode(event),
        Ok(PaymentEvent::PaymentNotificationReceived { .. }
            | PaymentEvent::PaymentPending { .. }
            | PaymentEvent::PaymentSettled { .. }
            | PaymentEvent::PaymentFailed { .. }
            | PaymentEvent::PaymentAmountMismatched { .. }
            | PaymentEvent::PaymentReversed { .. })
    )
}

/// The event's fields, without what opens the buyer's payment page (the seller sees this too).
fn shown(mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.remove("snap_token");
        map.remove("redirect_url");
    }
    data
}

/// `GET /v1/orders/{id}/history`.
pub async fn history(
    state: &AppState,
    user: &AuthUser,
    order_id: Uuid,
) -> Result<Json<History>, ApiError> {
    let (order, events) = events_of(state, user, order_id).await?;
    let events = events
        .into_iter()
        .map(|(stream, event)| HistoryEntry {
            position: event.position.to_string(),
            stream,
            actor: actor(&order, stream, &event),
            at: event.recorded_at,
            event_type: event.event_type.clone(),
            data: shown(event.data),
        })
        .collect();
    Ok(Json(History { order_id, events }))
}

/// `GET /v1/orders/{id}?as_of=…`: the order as its events up to `as_of` make it. 404 if it was
/// not placed yet then.
pub async fn as_of(
    state: &AppState,
    user: &AuthUser,
    order_id: Uuid,
    as_of: AsOf,
) -> Result<Json<Value>, ApiError> {
    let (_, events) = events_of(state, user, order_id).await?;
    let (order_events, payment_events): (Vec<_>, Vec<_>) = events
        .into_iter()
        .filter(|(_, e)| as_of.includes(e))
        .partition(|(stream, _)| *stream == "order");
    let strip =
        |events: Vec<(&str, RecordedEvent)>| events.into_iter().map(|(_, e)| e).collect::<Vec<_>>();
    let order = fold::<Order>(&strip(order_events))?;
    let payment = fold::<Payment>(&strip(payment_events))?;
    let Some(status) = order.status else {
        return Err(ApiError::NotFound(
            "the order was not placed yet at as_of".into(),
        ));
    };
    Ok(Json(json!({
        "id": order.order_id,
        "status": status.as_str(),
        "buyer_id": order.buyer_id,
        "seller_id": order.seller_id,
        "lines": order.lines,
        "subtotal": order.subtotal.amount,
        "shipping_cost": order.shipping_cost.amount,
        "total": order.total.amount,
        "currency": order.total.currency,
        "shipping_address": order.shipping_address,
        "payment_id": order.payment_id,
        "payment_status": payment_status(&payment.status),
        "courier": order.courier,
        "tracking_number": order.tracking_number,
        "refunded_amount": order.refunded_amount.amount,
        "placed_at": order.placed_at,
        "expires_at": order.expires_at,
        "as_of": match as_of {
            AsOf::Time(time) => json!(time),
            AsOf::Position(position) => json!(position.to_string()),
        },
    })))
}

fn payment_status(status: &PaymentStatus) -> Option<&'static str> {
    Some(match status {
        PaymentStatus::NotInitiated => return None,
        PaymentStatus::Initiated => "initiated",
        PaymentStatus::Pending => "pending",
        PaymentStatus::Settled => "settled",
        PaymentStatus::Failed(_) => "failed",
        PaymentStatus::Reversed => "reversed",
    })
}
