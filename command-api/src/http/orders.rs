//! `/v1/orders/{id}/…`: an order's life after checkout. Shipment by its seller (or an admin)
//! once paid, delivery by an admin, completion by its buyer once delivered, cancellation by its
//! buyer while unpaid. Each answers the order's new status; an illegal move is 409 naming the
//! status the order is in.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use pasar_domain::order::Order;
use pasar_domain::values::Text;
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::orders::{self, Move};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/orders/{order_id}/shipments", post(ship))
        .route("/v1/orders/{order_id}/delivery", post(deliver))
        .route("/v1/orders/{order_id}/complete", post(complete))
        .route("/v1/orders/{order_id}/cancel", post(cancel))
        .route("/v1/orders/{order_id}/refunds", post(refund))
}

#[derive(Deserialize, Serialize)]
struct ShipmentRequest {
    courier: String,
    tracking_number: String,
}

impl TryFrom<ShipmentRequest> for Move {
    type Error = ApiError;

    fn try_from(req: ShipmentRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::default();
        let courier = fields.check("courier", Text::<1, 50>::parse(&req.courier));
        let tracking = fields.check(
            "tracking_number",
            Text::<1, 100>::parse(&req.tracking_number),
        );
        fields.finish()?;
        match (courier, tracking) {
            (Some(courier), Some(tracking)) => Ok(Move::Ship {
                courier: courier.into_inner(),
                tracking_number: tracking.into_inner(),
            }),
            _ => Err(ApiError::Internal(anyhow::anyhow!(
                "invariant: no field errors"
            ))),
        }
    }
}

fn order_json(order: &Order) -> Value {
    json!({
        "id": order.order_id,
        "status": order.status.map(|s| s.as_str()),
        "courier": order.courier,
        "tracking_number": order.tracking_number,
    })
}

async fn make(
    state: &AppState,
    user: &AuthUser,
    order_id: Uuid,
    change: Move,
    key: &IdempotencyKey,
    fingerprint: &impl Serialize,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(order_id, fingerprint))?;
    let outcome = orders::change(state, actor(user), order_id, change, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        order_json(&outcome.state),
        outcome.position,
    ))
}

/// Hands the order to a courier: the order's seller or an admin, once it is paid.
async fn ship(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
    Json(req): Json<ShipmentRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let fingerprint = ("ship", req.courier.clone(), req.tracking_number.clone());
    make(&state, &user, order_id, req.try_into()?, &key, &fingerprint).await
}

/// The courier delivered it: an admin (until a courier's status feed does it).
async fn deliver(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    make(&state, &user, order_id, Move::Deliver, &key, &"deliver").await
}

/// The buyer confirms receipt (an admin may too), once delivered.
async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer, Role::Admin])?;
    make(&state, &user, order_id, Move::Complete, &key, &"complete").await
}

/// `{}` or `{"reason": "…"}`.
#[derive(Deserialize)]
struct CancelRequest {
    #[serde(default)]
    reason: Option<String>,
}

/// Cancels an order: its buyer (or an admin) while unpaid, with the other orders of its
/// checkout (one payment covers them all: the Snap transaction is closed at Midtrans first,
/// then the orders are cancelled and their stock released); its seller (or an admin) once paid
/// and before shipment, with all it cost refunded to the buyer. Answers the cancelled orders.
async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(order_id): Path<Uuid>,
    Json(req): Json<CancelRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer, Role::Seller, Role::Admin])?;
    let mut fields = Fields::default();
    let reason = match req.reason.as_deref() {
        Some(raw) => fields
            .check("reason", Text::<1, 500>::parse(raw))
            .map(Text::into_inner),
        None => Some(format!("cancelled by the {}", user.role.as_str())),
    };
    fields.finish()?;
    let reason = reason.unwrap_or_default();
    let cancelled = orders::cancel(&state, actor(&user), order_id, reason).await?;
    let head = state
        .store
        .head()
        .await
        .map_err(crate::app::AppError::from)?;
    let body = json!({ "orders": cancelled.iter().map(order_json).collect::<Vec<_>>() });
    Ok(accepted(StatusCode::OK, body, head))
}

/// `{amount, reason}`: rupiah to give back, at most what is left (the total less what was
/// refunded, owed or already asked for).
#[derive(Deserialize, Serialize)]
struct RefundRequest {
    amount: i64,
    reason: String,
}

/// An admin asks for part or all of a paid order back for its buyer. Answers 202 with the
/// refund's id: the refund processor carries it out through Midtrans (once, whatever the
/// retries) and the order then shows `refund_status` `refunded`, or `owed` for a payment
/// method Midtrans cannot refund.
async fn refund(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
    Json(req): Json<RefundRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&(order_id, &req))?;
    let mut fields = Fields::default();
    let reason = fields.check("reason", Text::<1, 500>::parse(&req.reason));
    if req.amount <= 0 {
        fields.push([pasar_domain::FieldError::new(
            "amount",
            "must be a positive number of rupiah",
        )]);
    }
    fields.finish()?;
    let reason = reason.map(Text::into_inner).unwrap_or_default();
    let (outcome, refund_id) = orders::request_refund(
        &state,
        actor(&user),
        order_id,
        req.amount,
        reason,
        key.as_ref(),
    )
    .await?;
    let body = json!({
        "refund_id": refund_id,
        "order_id": order_id,
        "amount": req.amount,
        "status": "required",
        "refundable": outcome.state.refundable(),
    });
    Ok(accepted(StatusCode::ACCEPTED, body, outcome.position))
}
