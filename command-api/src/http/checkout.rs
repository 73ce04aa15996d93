//! `POST /v1/checkout`: parses the request into a [`CheckoutCommand`], runs it, and renders
//! the (possibly recorded) [`CheckoutOutcome`]. A replay renders the same outcome the same way,
//! so a retry with the key gets the first answer verbatim.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pasar_domain::values::Address;
use pasar_events::types::{
    CheckoutOutcome, CheckoutRejection, Money, PlacedOrder, Role, ShippingAddress,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey, text};
use super::openapi::{CheckoutAnswer, RequiredIdempotencyKeyHeader, ShippingAddressBody};
use super::{accepted_with_token, actor};
use crate::app::checkout::{self, CheckoutCommand, Shipment};
use crate::app::{AppError, AppState, Rule, addresses};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, problem};
use pasar_domain::address_book::AddressBookError;
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(run))
}

#[derive(Deserialize, Serialize, ToSchema)]
struct CheckoutRequest {
    /// Where to ship, written out; or give `address_id` instead (exactly one of the two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ShippingAddressBody>)]
    shipping_address: Option<ShippingAddress>,
    /// An entry of the buyer's address book (`GET /v1/me/addresses`) to ship to, instead of
    /// `shipping_address`; 422 for an id not in the caller's book.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address_id: Option<Uuid>,
    /// Ignored (kept so older clients' bodies still parse): the courier is chosen per seller
    /// in `shipments`.
    #[serde(default)]
    courier: Option<String>,
    /// Ignored, like `courier`.
    #[serde(default)]
    service: Option<String>,
    /// One per seller in the cart when shipping is configured (required then), each naming a
    /// quote from `GET /v1/shipping/quotes` and one of its services; at most 50. Refused when
    /// shipping is not configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shipments: Vec<ShipmentBody>,
    /// Rupiah to pay from the buyer's wallet, at most the checkout's total (422 beyond) and
    /// the wallet's balance (409 beyond); the rest is paid through Snap. The whole total: no
    /// Snap payment, and the orders are paid at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 50000, minimum = 0)]
    pay_with_wallet: Option<i64>,
}

/// The service chosen for one seller's parcel.
#[derive(Deserialize, Serialize, ToSchema)]
struct ShipmentBody {
    seller_id: Uuid,
    /// `quote_id` of that seller's group in `GET /v1/shipping/quotes`.
    quote_id: Uuid,
    /// A courier code of the quote, e.g. `jne`.
    #[schema(example = "jne")]
    courier: String,
    /// One of that courier's services in the quote, e.g. `REG`.
    #[schema(example = "REG")]
    service: String,
}

/// Most shipments one checkout may name.
const MAX_SHIPMENTS: usize = 50;

impl CheckoutRequest {
    /// The written-out shipping address (`None` with `address_id`), every field bounded
    /// printable text; courier and service printable.
    fn address(&self) -> Result<Option<Address>, ApiError> {
        let mut fields = Fields::default();
        let address = match (&self.shipping_address, self.address_id) {
            (Some(written), None) => Address::parse(written).map_err(|e| fields.push(e)).ok(),
            (None, Some(_)) => None,
            (Some(_), Some(_)) => {
                let message = "give shipping_address or address_id, not both";
                fields.push([pasar_domain::FieldError::new("address_id", message)]);
                None
            }
            (None, None) => {
                let message = "required (or address_id)";
                fields.push([pasar_domain::FieldError::new("shipping_address", message)]);
                None
            }
        };
        text(
            &mut fields,
            "courier",
            self.courier.as_deref().unwrap_or_default(),
        );
        text(
            &mut fields,
            "service",
            self.service.as_deref().unwrap_or_default(),
        );
        if self.pay_with_wallet.is_some_and(|amount| amount < 0) {
            let message = "must be a whole number of rupiah, 0 or more";
            fields.push([pasar_domain::FieldError::new("pay_with_wallet", message)]);
        }
        if self.shipments.len() > MAX_SHIPMENTS {
            let message = format!("at most {MAX_SHIPMENTS} shipments");
            fields.push([pasar_domain::FieldError::new("shipments", message)]);
        }
        for shipment in &self.shipments {
            text(&mut fields, "shipments.courier", &shipment.courier);
            text(&mut fields, "shipments.service", &shipment.service);
            let too_long =
                shipment.courier.chars().count() > 20 || shipment.service.chars().count() > 50;
            if too_long {
                let message = "courier at most 20 and service at most 50 characters";
                fields.push([pasar_domain::FieldError::new("shipments", message)]);
            }
        }
        fields.finish()?;
        Ok(address)
    }

    fn shipments(&self) -> Vec<Shipment> {
        self.shipments
            .iter()
            .map(|s| Shipment {
                seller_id: s.seller_id,
                quote_id: s.quote_id,
                courier: s.courier.clone(),
                service: s.service.clone(),
            })
            .collect()
    }

    fn hash(&self) -> Result<String, ApiError> {
        let bytes = serde_json::to_vec(self).map_err(anyhow::Error::from)?;
        Ok(hex::encode(Sha256::digest(bytes)))
    }
}

/// Check out
///
/// Prices the cart from the catalog, checks the shipments against their quotes (and asks
/// RajaOngkir that each service still serves its parcel), reserves the stock, places one order
/// per seller carrying its quoted shipping cost and starts one Midtrans Snap payment for all
/// of them (one Snap item per line and one shipping item per order). With `pay_with_wallet`,
/// that much is taken from the buyer's wallet first and Snap takes the rest (with an item of
/// minus the wallet part); the whole total paid by the wallet makes no Snap payment
/// (`payment: null`) and the orders are paid at once. If the checkout fails, or its Snap part
/// fails or expires, the wallet part is given back once. The `Idempotency-Key` makes a retry safe:
/// the same key and body answer the first answer again.
#[utoipa::path(
    post, path = "/v1/checkout", tag = "checkout",
    security(("bearer" = [])),
    params(RequiredIdempotencyKeyHeader),
    request_body = CheckoutRequest,
    responses(
        (status = 201, description = "Placed: the orders and the payment to make", body = CheckoutAnswer),
        (status = 400, description = "No `Idempotency-Key`, or not 1 to 255 printable characters", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Insufficient stock (`short_lines`), products no longer sold (`unavailable_products`), too many open checkouts, a wallet holding less than `pay_with_wallet` (`balance`, `requested`), or a checkout with this key still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid address, an empty cart, a line over the most units allowed, the key reused with another body, or a shipment refused (missing, unknown or expired quote, a quote for another destination or parcel, a service not quoted; `seller_id` names the seller), or `pay_with_wallet` negative or over the total; nothing is held", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Midtrans could not start the payment, or RajaOngkir answered something unreadable; nothing is held", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable, or RajaOngkir is down or rate-limited (`Retry-After`); nothing is held", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn run(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<CheckoutRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let idempotency_key = key.required()?;
    let address = match (req.address()?, req.address_id) {
        (Some(written), _) => written,
        (None, Some(id)) => saved_address(&state, &user, id).await?,
        (None, None) => return Err(anyhow::anyhow!("invariant: an address or an id").into()),
    };
    let command = CheckoutCommand {
        buyer: actor(&user),
        idempotency_key,
        request_hash: req.hash()?,
        address,
        shipments: req.shipments(),
        wallet_amount: Money::idr(req.pay_with_wallet.unwrap_or(0)),
    };
    let outcome = checkout::run(&state, command).await;
    metrics::counter!("pasar_checkout_outcomes_total", "outcome" => outcome_label(&outcome))
        .increment(1);
    Ok(render(outcome?))
}

/// The buyer's address-book entry `id`; 422 naming `address_id` when their book has none.
async fn saved_address(state: &AppState, user: &AuthUser, id: Uuid) -> Result<Address, ApiError> {
    match addresses::for_checkout(state, actor(user), id).await {
        Err(AppError::Rejected(Rule::AddressBook(AddressBookError::NotFound))) => {
            let message = "names no address in your address book";
            Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
                "address_id",
                message,
            )]))
        }
        other => Ok(other?),
    }
}

/// `pasar_checkout_outcomes_total{outcome}`: placed, insufficient_stock, rejected (another
/// rule, including a request still in progress), failed (Midtrans or our own dependencies).
/// A replayed answer counts again: the metric counts answers, not checkouts.
fn outcome_label(outcome: &Result<CheckoutOutcome, AppError>) -> &'static str {
    match outcome {
        Ok(CheckoutOutcome::Succeeded { .. } | CheckoutOutcome::PaidWithWallet { .. }) => "placed",
        Ok(CheckoutOutcome::Rejected {
            reason: CheckoutRejection::InsufficientStock { .. },
        }) => "insufficient_stock",
        Ok(CheckoutOutcome::Rejected {
            reason: CheckoutRejection::PaymentNotStarted,
        }) => "failed",
        Ok(CheckoutOutcome::Rejected { .. }) | Err(AppError::Rejected(_)) => "rejected",
        Ok(CheckoutOutcome::Recorded { .. }) => "replayed",
        Err(_) => "failed",
    }
}

fn render(outcome: CheckoutOutcome) -> Response {
    match outcome {
        CheckoutOutcome::Succeeded {
            checkout_id,
            orders,
            payment,
            consistency_token,
        } => {
            // What Snap does not take, the wallet paid.
            let total: i64 = orders.iter().map(|o| o.total.amount).sum();
            let payment = json!({
                "id": payment.payment_id,
                "snap_token": payment.snap_token.expose(),
                "redirect_url": payment.redirect_url.expose(),
                "gross_amount": payment.gross_amount.amount,
                "currency": payment.gross_amount.currency,
            });
            let wallet_amount = total - payment["gross_amount"].as_i64().unwrap_or(total);
            placed(
                checkout_id,
                &orders,
                payment,
                wallet_amount,
                &consistency_token,
            )
        }
        CheckoutOutcome::PaidWithWallet {
            checkout_id,
            orders,
            wallet_amount,
            consistency_token,
        } => placed(
            checkout_id,
            &orders,
            Value::Null,
            wallet_amount.amount,
            &consistency_token,
        ),
        CheckoutOutcome::Rejected { reason } => rejection_problem(&reason).into_response(),
        CheckoutOutcome::Recorded {
            status,
            body,
            consistency_token,
        } => recorded(status, body, consistency_token),
    }
}

/// A placed checkout's answer: its orders, the Snap payment (`null` when the wallet paid it
/// all) and what the wallet paid.
fn placed(
    checkout_id: Uuid,
    orders: &[PlacedOrder],
    payment: Value,
    wallet_amount: i64,
    token: &str,
) -> Response {
    let orders: Vec<Value> = orders.iter().map(order_json).collect();
    let body = json!({
        "checkout_id": checkout_id,
        "orders": orders,
        "payment": payment,
        "wallet_amount": wallet_amount,
    });
    accepted_with_token(StatusCode::CREATED, body, token)
}

/// An answer recorded before outcomes were typed, replayed as it was sent.
fn recorded(status: u16, body: Value, token: Option<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match token {
        Some(token) if status.is_success() => accepted_with_token(status, body, &token),
        _ => {
            let title = body["title"]
                .as_str()
                .unwrap_or("Checkout failed")
                .to_owned();
            let detail = body["detail"].as_str().unwrap_or_default().to_owned();
            problem(status, &title, &detail, Some(body))
        }
    }
}

/// The problem a refused checkout answers with.
pub fn rejection_problem(reason: &CheckoutRejection) -> ApiError {
    let (status, title, detail, extra) = match reason {
        CheckoutRejection::CartIsEmpty => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Cart is empty",
            "add items to the cart before checking out".to_owned(),
            None,
        ),
        CheckoutRejection::ProductsUnavailable { product_ids } => (
            StatusCode::CONFLICT,
            "Products unavailable",
            "some products in the cart are no longer sold; remove them and retry".to_owned(),
            Some(json!({ "unavailable_products": product_ids })),
        ),
        CheckoutRejection::InsufficientStock { short_lines } => (
            StatusCode::CONFLICT,
            "Insufficient stock",
            "not enough stock for some lines; nothing was reserved".to_owned(),
            Some(json!({ "short_lines": short_lines })),
        ),
        CheckoutRejection::LineQuantityTooLarge { product_id, max } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Line quantity too large",
            format!("one checkout may hold at most {max} units of a product"),
            Some(json!({ "product_id": product_id, "max": max })),
        ),
        CheckoutRejection::TooManyOpenCheckouts { limit } => (
            StatusCode::CONFLICT,
            "Too many open checkouts",
            format!("you have {limit} unpaid checkouts; pay or let one expire first"),
            Some(json!({ "limit": limit })),
        ),
        CheckoutRejection::InvalidTotal => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid order",
            "the order total is out of range".to_owned(),
            None,
        ),
        CheckoutRejection::PaymentNotStarted => (
            StatusCode::BAD_GATEWAY,
            "Payment provider unavailable",
            "the payment could not be started; nothing is held; try again with a new Idempotency-Key".to_owned(),
            None,
        ),
        CheckoutRejection::InsufficientWalletBalance { .. }
        | CheckoutRejection::WalletAmountExceedsTotal { .. } => {
            return super::wallet::checkout_problem(reason);
        }
    };
    ApiError::Problem {
        status,
        title,
        detail,
        extra,
    }
}

fn order_json(order: &PlacedOrder) -> Value {
    json!({
        "id": order.order_id,
        "seller_id": order.seller_id,
        "status": order.status.as_str(),
        "lines": order.lines.iter().map(|l| json!({
            "product_id": l.product_id, "sku": l.sku, "name": l.name,
            "unit_price": l.unit_price.amount, "quantity": l.quantity, "line_total": l.line_total.amount,
        })).collect::<Vec<_>>(),
        "subtotal": order.subtotal.amount,
        "shipping_cost": order.shipping_cost.amount,
        "total": order.total.amount,
        "currency": order.total.currency,
        "expires_at": order.expires_at,
    })
}
