//! `POST /v1/checkout`: cart → priced orders (one per seller) → stock reserved → Snap
//! transaction. Every step appends with ids derived from the checkout id, which is itself
//! derived from (buyer, Idempotency-Key): a retry with the same key replays the recorded answer,
//! and a retry after a crash resumes where the first attempt stopped without doubling anything.
//! Reservations carry an expiry, so stock held by a checkout that never finishes comes back.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::post;
use chrono::{DateTime, Utc};
use pasar_domain::FieldError;
use pasar_domain::cart::{Cart, CartCommand};
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::{Payment, PaymentCommand};
use pasar_domain::product::Product;
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::{CheckoutEvent, Money, OrderLine, Role, ShippingAddress, streams};
use pasar_events::{DomainEvent, ExpectedVersion, Metadata, Position};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::accepted;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, problem};
use crate::exec::{EventIds, derive_id, execute, load};
use crate::midtrans::Item;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/checkout", post(checkout))
}

/// An unanswered checkout younger than this is taken to be still running.
const IN_FLIGHT_SECS: i64 = 60;

#[derive(Deserialize, Serialize)]
struct CheckoutRequest {
    shipping_address: ShippingAddress,
    #[serde(default)]
    courier: Option<String>,
    #[serde(default)]
    service: Option<String>,
}

/// The answer to a checkout, recorded so retries get it verbatim.
struct Answer {
    status: StatusCode,
    body: serde_json::Value,
    position: Option<Position>,
}

impl Answer {
    fn into_response(self) -> Response {
        match self.position {
            Some(position) if self.status.is_success() => {
                accepted(self.status, self.body, position)
            }
            _ => {
                let title = self.body["title"]
                    .as_str()
                    .unwrap_or("Checkout failed")
                    .to_owned();
                let detail = self.body["detail"].as_str().unwrap_or_default().to_owned();
                problem(self.status, &title, &detail, Some(self.body))
            }
        }
    }

    fn failure(error: ApiError) -> Result<Answer, ApiError> {
        let (status, title, detail, extra) = match error {
            ApiError::Conflict {
                title,
                detail,
                extra,
            } => (StatusCode::CONFLICT, title, detail, extra),
            ApiError::Rejected { title, detail } => {
                (StatusCode::UNPROCESSABLE_ENTITY, title, detail, None)
            }
            ApiError::Upstream(detail) => (
                StatusCode::BAD_GATEWAY,
                "Payment provider unavailable",
                detail,
                None,
            ),
            ApiError::NotFound(detail) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Product unavailable",
                detail,
                None,
            ),
            other => return Err(other),
        };
        let mut body = json!({ "title": title, "detail": detail, "status": status.as_u16() });
        if let (Some(serde_json::Value::Object(extra)), Some(map)) = (extra, body.as_object_mut()) {
            map.extend(extra);
        }
        Ok(Answer {
            status,
            body,
            position: None,
        })
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or_else(|| ApiError::BadRequest("the Idempotency-Key header is required".into()))?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 characters".into(),
        ));
    }
    Ok(key.to_owned())
}

fn validate_address(a: &ShippingAddress) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let mut check = |field: &'static str, value: &str, max: usize| {
        let n = value.trim().chars().count();
        if n == 0 || n > max {
            errors.push(FieldError::new(
                field,
                format!("must be 1 to {max} characters"),
            ));
        }
    };
    check("shipping_address.recipient", &a.recipient, 100);
    check("shipping_address.phone", &a.phone, 20);
    check("shipping_address.address", &a.address, 500);
    check("shipping_address.city", &a.city, 100);
    check("shipping_address.postal_code", &a.postal_code, 10);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

async fn checkout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Json(req): Json<CheckoutRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let key = idempotency_key(&headers)?;
    validate_address(&req.shipping_address)?;
    let request_hash = hex::encode(Sha256::digest(
        serde_json::to_vec(&req).map_err(anyhow::Error::from)?,
    ));
    let checkout_id = derive_id(&["checkout", &user.id.to_string(), &key]);
    let stream = streams::checkout(checkout_id);
    let metadata = Metadata {
        correlation_id: Some(checkout_id),
        actor_id: Some(user.id),
        idempotency_key: Some(key.clone()),
        ..Metadata::default()
    };

    if let Some(previous) = previous_answer(&state, &stream, &request_hash).await? {
        return Ok(previous.into_response());
    }
    let started = CheckoutEvent::CheckoutStarted {
        checkout_id,
        customer_id: user.id,
        idempotency_key: key,
        request_hash,
        started_at: Utc::now(),
    };
    let seed = derive_id(&["checkout-started", &checkout_id.to_string()]);
    state
        .store
        .append(
            &stream,
            ExpectedVersion::Any,
            vec![started.to_new_event(seed, metadata.clone())],
        )
        .await?;

    let run = Checkout {
        state: &state,
        user,
        checkout_id,
        metadata: &metadata,
        request: &req,
    };
    let answer = match run.place().await {
        Ok(answer) => answer,
        Err(e) => Answer::failure(e)?,
    };
    let recorded = CheckoutEvent::CheckoutAnswered {
        status: answer.status.as_u16(),
        body: answer.body.clone(),
        consistency_token: answer.position.map(|p| p.to_string()),
    };
    let seed = derive_id(&["checkout-answered", &checkout_id.to_string()]);
    state
        .store
        .append(
            &stream,
            ExpectedVersion::Any,
            vec![recorded.to_new_event(seed, metadata)],
        )
        .await?;
    Ok(answer.into_response())
}

/// The recorded answer for this checkout, if any. A different body under the same key is
/// refused (422); an unanswered checkout that started moments ago is still running (409).
async fn previous_answer(
    state: &AppState,
    stream: &str,
    request_hash: &str,
) -> Result<Option<Answer>, ApiError> {
    let mut started_at: Option<DateTime<Utc>> = None;
    for event in state.store.read_stream(stream, 1).await? {
        match CheckoutEvent::decode(&event).map_err(anyhow::Error::from)? {
            CheckoutEvent::CheckoutStarted {
                request_hash: hash,
                started_at: at,
                ..
            } => {
                if hash != request_hash {
                    return Err(ApiError::rejected(
                        "Idempotency key reused",
                        "this Idempotency-Key was used with a different request body",
                    ));
                }
                started_at = Some(at);
            }
            CheckoutEvent::CheckoutAnswered {
                status,
                body,
                consistency_token,
            } => {
                let status = StatusCode::from_u16(status).map_err(anyhow::Error::from)?;
                let position = consistency_token.and_then(|t| t.parse().ok());
                return Ok(Some(Answer {
                    status,
                    body,
                    position,
                }));
            }
        }
    }
    match started_at {
        Some(at) if (Utc::now() - at).num_seconds() < IN_FLIGHT_SECS => Err(ApiError::conflict(
            "Checkout in progress",
            "a checkout with this Idempotency-Key is still running; retry shortly",
        )),
        _ => Ok(None),
    }
}

struct PricedLine {
    seller_id: Uuid,
    line: OrderLine,
}

struct Checkout<'a> {
    state: &'a AppState,
    user: AuthUser,
    checkout_id: Uuid,
    metadata: &'a Metadata,
    request: &'a CheckoutRequest,
}

impl Checkout<'_> {
    fn ids(&self, step: &str, target: Uuid) -> EventIds {
        EventIds::Derived(derive_id(&[
            step,
            &self.checkout_id.to_string(),
            &target.to_string(),
        ]))
    }

    fn order_id(&self, seller_id: Uuid) -> Uuid {
        derive_id(&[
            "order",
            &self.checkout_id.to_string(),
            &seller_id.to_string(),
        ])
    }

    async fn place(&self) -> Result<Answer, ApiError> {
        let cart = load::<Cart>(self.state.store.as_ref(), &streams::cart(self.user.id))
            .await?
            .state;
        if cart.is_empty() {
            return Err(ApiError::rejected(
                "Cart is empty",
                "add items to the cart before checking out",
            ));
        }
        let lines = self.price_lines(&cart).await?;
        let expires_at = Utc::now() + self.state.config.payment_timeout;
        self.reserve_stock(&lines, expires_at).await?;
        let orders = self.place_orders(&lines, expires_at).await?;
        let payment = match self.start_payment(&orders, &lines).await {
            Ok(payment) => payment,
            Err(e) => {
                self.abandon(&orders, &lines).await?;
                return Err(e);
            }
        };
        let cart_command = CartCommand::CheckOut {
            checkout_id: self.checkout_id,
        };
        let ids = self.ids("cart", self.user.id);
        let cart = execute::<Cart>(
            &self.state.store,
            &streams::cart(self.user.id),
            &cart_command,
            ids,
            self.metadata,
        )
        .await?;
        let orders: Vec<_> = orders.iter().map(order_json).collect();
        let body =
            json!({ "checkout_id": self.checkout_id, "orders": orders, "payment": payment.0 });
        Ok(Answer {
            status: StatusCode::CREATED,
            body,
            position: Some(payment.1.max(cart.position)),
        })
    }

    /// Prices every line from its product stream, sorted by product id.
    async fn price_lines(&self, cart: &Cart) -> Result<Vec<PricedLine>, ApiError> {
        let mut priced = Vec::new();
        let mut unavailable = Vec::new();
        for (&product_id, &quantity) in cart.lines() {
            let product = load::<Product>(self.state.store.as_ref(), &streams::product(product_id))
                .await?
                .state;
            if !product.listed || !product.is_on_sale() {
                unavailable.push(product_id);
                continue;
            }
            let line_total = product
                .price
                .checked_mul(quantity)
                .map_err(|e| ApiError::rejected("Invalid cart", e))?;
            priced.push(PricedLine {
                seller_id: product.seller_id,
                line: OrderLine {
                    product_id,
                    sku: product.sku,
                    name: product.name,
                    unit_price: product.price,
                    quantity,
                    line_total,
                },
            });
        }
        if !unavailable.is_empty() {
            return Err(ApiError::Conflict {
                title: "Products unavailable",
                detail: "some products in the cart are no longer sold; remove them and retry"
                    .into(),
                extra: Some(json!({ "unavailable_products": unavailable })),
            });
        }
        Ok(priced)
    }

    /// Reserves line by line in product-id order. On a shortage, checks the remaining lines
    /// too (to name every short line), releases what was reserved, and refuses with 409.
    async fn reserve_stock(
        &self,
        lines: &[PricedLine],
        expires_at: DateTime<Utc>,
    ) -> Result<(), ApiError> {
        let mut reserved = Vec::new();
        let mut short = Vec::new();
        for priced in lines {
            let product_id = priced.line.product_id;
            let stream = streams::stock(product_id);
            if !short.is_empty() {
                let available = load::<Stock>(self.state.store.as_ref(), &stream)
                    .await?
                    .state
                    .available();
                if available < priced.line.quantity {
                    short.push(json!({ "product_id": product_id, "requested": priced.line.quantity, "available": available }));
                }
                continue;
            }
            let command = StockCommand::Reserve {
                order_id: self.order_id(priced.seller_id),
                quantity: priced.line.quantity,
                expires_at,
            };
            match execute::<Stock>(
                &self.state.store,
                &stream,
                &command,
                self.ids("reserve", product_id),
                self.metadata,
            )
            .await
            {
                Ok(_) => reserved.push(priced),
                Err(ApiError::Conflict {
                    title: "Insufficient stock",
                    extra,
                    ..
                }) => {
                    let available = extra
                        .as_ref()
                        .and_then(|e| e["available"].as_i64())
                        .unwrap_or(0);
                    short.push(json!({ "product_id": product_id, "requested": priced.line.quantity, "available": available }));
                }
                Err(e) => return Err(e),
            }
        }
        if short.is_empty() {
            return Ok(());
        }
        self.release(&reserved, "checkout refused: insufficient stock")
            .await?;
        Err(ApiError::Conflict {
            title: "Insufficient stock",
            detail: "not enough stock for some lines; nothing was reserved".into(),
            extra: Some(json!({ "short_lines": short })),
        })
    }

    async fn release(&self, lines: &[&PricedLine], reason: &str) -> Result<(), ApiError> {
        for priced in lines {
            let product_id = priced.line.product_id;
            let command = StockCommand::Release {
                order_id: self.order_id(priced.seller_id),
                reason: reason.into(),
            };
            execute::<Stock>(
                &self.state.store,
                &streams::stock(product_id),
                &command,
                self.ids("release", product_id),
                self.metadata,
            )
            .await?;
        }
        Ok(())
    }

    /// One order per seller.
    async fn place_orders(
        &self,
        lines: &[PricedLine],
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<Order>, ApiError> {
        let mut by_seller: BTreeMap<Uuid, Vec<OrderLine>> = BTreeMap::new();
        for priced in lines {
            by_seller
                .entry(priced.seller_id)
                .or_default()
                .push(priced.line.clone());
        }
        let mut orders = Vec::new();
        for (seller_id, lines) in by_seller {
            let order_id = self.order_id(seller_id);
            let command = OrderCommand::Place {
                order_id,
                checkout_id: self.checkout_id,
                payment_id: self.checkout_id,
                buyer_id: self.user.id,
                seller_id,
                lines,
                // Shipping quotes arrive with the RajaOngkir issue; until then shipping is free.
                shipping_cost: Money::idr(0),
                shipping_address: self.request.shipping_address.clone(),
                now: Utc::now(),
                expires_at,
            };
            let outcome = execute::<Order>(
                &self.state.store,
                &streams::order(order_id),
                &command,
                self.ids("place", order_id),
                self.metadata,
            )
            .await?;
            orders.push(outcome.state);
        }
        Ok(orders)
    }

    /// Creates the Snap transaction (Midtrans `order_id` = payment id = checkout id) and
    /// records the payment as initiated.
    async fn start_payment(
        &self,
        orders: &[Order],
        lines: &[PricedLine],
    ) -> Result<(serde_json::Value, Position), ApiError> {
        let gross = orders
            .iter()
            .try_fold(Money::idr(0), |sum, o| sum.checked_add(o.total))
            .map_err(|e| ApiError::rejected("Invalid order", e))?;
        let items: Vec<Item> = lines
            .iter()
            .map(|p| Item {
                id: p.line.sku.clone(),
                name: p.line.name.clone(),
                price: p.line.unit_price.amount,
                quantity: p.line.quantity,
            })
            .collect();
        let address = &self.request.shipping_address;
        let customer = json!({
            "first_name": address.recipient,
            "phone": address.phone,
            "shipping_address": {
                "first_name": address.recipient, "phone": address.phone, "address": address.address,
                "city": address.city, "postal_code": address.postal_code, "country_code": "IDN",
            },
        });
        let payment_id = self.checkout_id;
        let snap = self
            .state
            .midtrans
            .create_snap(&payment_id.to_string(), gross.amount, &items, customer)
            .await
            .map_err(|e| ApiError::Upstream(e.to_string()))?;
        let command = PaymentCommand::Initiate {
            payment_id,
            checkout_id: self.checkout_id,
            buyer_id: self.user.id,
            order_ids: orders.iter().map(|o| o.order_id).collect(),
            gross_amount: gross,
            snap_token: snap.token.clone(),
            redirect_url: snap.redirect_url.clone(),
            now: Utc::now(),
        };
        let outcome = execute::<Payment>(
            &self.state.store,
            &streams::payment(payment_id),
            &command,
            self.ids("pay", payment_id),
            self.metadata,
        )
        .await?;
        let body = json!({
            "id": payment_id,
            "snap_token": snap.token,
            "redirect_url": snap.redirect_url,
            "gross_amount": gross.amount,
            "currency": gross.currency,
        });
        Ok((body, outcome.position))
    }

    /// The payment could not start: cancel the orders and give the stock back.
    async fn abandon(&self, orders: &[Order], lines: &[PricedLine]) -> Result<(), ApiError> {
        for order in orders {
            let command = OrderCommand::Cancel {
                reason: "payment could not be started".into(),
                now: Utc::now(),
            };
            execute::<Order>(
                &self.state.store,
                &streams::order(order.order_id),
                &command,
                self.ids("cancel", order.order_id),
                self.metadata,
            )
            .await?;
        }
        let all: Vec<&PricedLine> = lines.iter().collect();
        self.release(&all, "payment could not be started").await
    }
}

fn order_json(order: &Order) -> serde_json::Value {
    json!({
        "id": order.order_id,
        "seller_id": order.seller_id,
        "status": order.status.map(|s| s.as_str()),
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
