//! `/v1/orders/{id}/…`: an order's life after checkout. Shipment by its seller (or an admin)
//! once paid, delivery by an admin, completion by its buyer once delivered, cancellation by its
//! buyer while unpaid. Each answers the order's new status; an illegal move is 409 naming the
//! status the order is in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::order::Order;
use pasar_domain::values::Text;
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::orders::{self, Move};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ship))
        .routes(routes!(deliver))
        .routes(routes!(complete))
        .routes(routes!(cancel))
        .routes(routes!(refund))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"courier": "JNE REG", "tracking_number": "JNE0012345678"}))]
struct ShipmentRequest {
    /// 1 to 50 characters.
    courier: String,
    /// 1 to 100 characters.
    tracking_number: String,
}

/// An order after a move.
#[derive(ToSchema)]
pub struct OrderMoveAnswer {
    pub id: Uuid,
    /// awaiting_payment, paid, shipped, delivered, completed, cancelled, expired or refunded.
    #[schema(example = "shipped")]
    pub status: String,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
    #[schema(example = "812-43")]
    pub consistency_token: String,
}

/// One cancelled order.
#[derive(ToSchema)]
pub struct CancelledOrder {
    pub id: Uuid,
    #[schema(example = "cancelled")]
    pub status: String,
    pub courier: Option<String>,
    pub tracking_number: Option<String>,
}

/// The orders a cancellation closed.
#[derive(ToSchema)]
pub struct CancelAnswer {
    pub orders: Vec<CancelledOrder>,
    #[schema(example = "812-44")]
    pub consistency_token: String,
}

/// A refund asked for; the refund processor carries it out.
#[derive(ToSchema)]
pub struct RefundAnswer {
    pub refund_id: Uuid,
    pub order_id: Uuid,
    /// Integer rupiah.
    #[schema(example = 5000)]
    pub amount: i64,
    #[schema(example = "required")]
    pub status: String,
    /// What may still be asked back, integer rupiah.
    #[schema(example = 15000)]
    pub refundable: i64,
    #[schema(example = "812-45")]
    pub consistency_token: String,
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

/// Ship an order
///
/// Hands the order to a courier: the order's seller or an admin, once it is paid.
#[utoipa::path(
    post, path = "/v1/orders/{order_id}/shipments", tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "The order"), IdempotencyKeyHeader),
    request_body = ShipmentRequest,
    responses(
        (status = 200, description = "Shipped", body = OrderMoveAnswer),
        (status = 403, description = "Not a seller or an admin, or not this order's seller", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not paid (`order_status` names its state)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
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

/// Record delivery
///
/// The courier delivered it: an admin (until a courier's status feed does it).
#[utoipa::path(
    post, path = "/v1/orders/{order_id}/delivery", tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "The order"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Delivered", body = OrderMoveAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not shipped (`order_status` names its state)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn deliver(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    make(&state, &user, order_id, Move::Deliver, &key, &"deliver").await
}

/// Complete an order
///
/// The buyer confirms receipt (an admin may too), once delivered. Done automatically
/// `ORDER_AUTO_COMPLETE_DAYS` after delivery.
#[utoipa::path(
    post, path = "/v1/orders/{order_id}/complete", tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "The order"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Completed", body = OrderMoveAnswer),
        (status = 403, description = "Not a buyer or an admin, or not this order's buyer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not delivered (`order_status` names its state)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(order_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer, Role::Admin])?;
    make(&state, &user, order_id, Move::Complete, &key, &"complete").await
}

/// `{}` or `{"reason": "…"}` (1 to 500 characters).
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"reason": "salah pilih ukuran"}))]
struct CancelRequest {
    #[serde(default)]
    reason: Option<String>,
}

/// Cancel an order
///
/// Cancels an order: its buyer (or an admin) while unpaid, with the other orders of its
/// checkout (one payment covers them all: the Snap transaction is closed at Midtrans first,
/// then the orders are cancelled and their stock released); its seller (or an admin) once paid
/// and before shipment, with all it cost refunded to the buyer. Answers the cancelled orders.
#[utoipa::path(
    post, path = "/v1/orders/{order_id}/cancel", tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "The order")),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "Cancelled (with the other orders of its checkout when unpaid)", body = CancelAnswer),
        (status = 403, description = "Not the party who may cancel it in its state", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not cancellable in its state (`order_status`), or paid meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Midtrans or the event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
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
#[derive(Deserialize, Serialize, ToSchema)]
#[schema(example = json!({"amount": 5000, "reason": "barang rusak"}))]
struct RefundRequest {
    amount: i64,
    reason: String,
}

/// Refund an order
///
/// An admin asks for part or all of a paid order back for its buyer. Answers 202 with the
/// refund's id: the refund processor carries it out through Midtrans (once, whatever the
/// retries) and the order then shows `refund_status` `refunded`, or `owed` for a payment
/// method Midtrans cannot refund.
#[utoipa::path(
    post, path = "/v1/orders/{order_id}/refunds", tag = "orders",
    security(("bearer" = [])),
    params(("order_id" = Uuid, Path, description = "The order"), IdempotencyKeyHeader),
    request_body = RefundRequest,
    responses(
        (status = 202, description = "Asked for; carried out through Midtrans", body = RefundAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not refundable in its state (`order_status`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
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
