//! The steps of an attempt that touch other streams: pricing, reserving, placing the orders
//! (starting the payment is in `snap.rs`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pasar_domain::cart::Cart;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::Payment;
use pasar_domain::product::Product;
use pasar_domain::stock::{Stock, StockCommand, StockError};
use pasar_events::Position;
use pasar_events::types::{
    CheckoutOutcome, CheckoutRejection, Money, OrderLine, PaymentHandle, PlacedOrder, Sensitive,
    ShortLine, streams,
};
use uuid::Uuid;

use super::attempt::{Attempt, rejected};
use super::open;
use super::record::Plan;
use crate::app::exec::{execute, load, start_stream};
use crate::app::reads::load_shared;
use crate::app::shipping::choose::{self, Chosen};
use crate::app::shipping::parcels::{self, Parcel};
use crate::app::{AppError, Rule};
use crate::midtrans::SnapExpiry;

pub(super) struct PricedLine {
    pub seller_id: Uuid,
    pub line: OrderLine,
    /// The product's weight per unit, for the seller's parcel.
    pub weight_grams: i32,
}

/// The chosen shipping service per seller (empty when shipping is not configured).
pub(super) type Shipping = BTreeMap<Uuid, Chosen>;

/// The answer a checkout gives once its payment has started.
pub(super) fn outcome_of(
    checkout_id: Uuid,
    orders: &[Order],
    payment: &Payment,
    position: Position,
) -> CheckoutOutcome {
    CheckoutOutcome::Succeeded {
        checkout_id,
        orders: placed(orders),
        payment: PaymentHandle {
            payment_id: payment.payment_id,
            snap_token: Sensitive::new(payment.snap_token.clone()),
            redirect_url: Sensitive::new(payment.redirect_url.clone()),
            gross_amount: payment.gross_amount,
        },
        consistency_token: position.to_string(),
    }
}

/// The orders as a checkout's answer shows them.
pub(super) fn placed(orders: &[Order]) -> Vec<PlacedOrder> {
    orders
        .iter()
        .map(|o| PlacedOrder {
            order_id: o.order_id,
            seller_id: o.seller_id,
            status: o
                .status
                .unwrap_or(pasar_events::types::OrderStatus::AwaitingPayment),
            lines: o.lines.clone(),
            subtotal: o.subtotal,
            shipping_cost: o.shipping_cost,
            total: o.total,
            expires_at: o.expires_at,
        })
        .collect()
}

impl Attempt<'_> {
    /// Prices every line from its product stream, in product-id order. The product is read
    /// with every other checkout pricing it at the moment (a flash sale's thousand buyers
    /// share a few reads), each read starting after its callers asked.
    pub async fn price_lines(
        &self,
        cart: &Cart,
    ) -> Result<Result<Vec<PricedLine>, CheckoutRejection>, AppError> {
        let mut priced = Vec::new();
        let mut unavailable = Vec::new();
        for (&product_id, &quantity) in cart.lines() {
            let stream = streams::product(product_id);
            let product = load_shared::<Product>(&self.state.store, &stream)
                .await?
                .state;
            if !product.listed || !product.is_on_sale() {
                unavailable.push(product_id);
                continue;
            }
            let Ok(line_total) = product.price.checked_mul(quantity) else {
                return Ok(Err(CheckoutRejection::InvalidTotal));
            };
            let line = OrderLine {
                product_id,
                sku: product.sku,
                name: product.name,
                unit_price: product.price,
                quantity,
                line_total,
            };
            priced.push(PricedLine {
                seller_id: product.seller_id,
                line,
                weight_grams: product.weight_grams,
            });
        }
        if !unavailable.is_empty() {
            return Ok(Err(CheckoutRejection::ProductsUnavailable {
                product_ids: unavailable,
            }));
        }
        Ok(Ok(priced))
    }

    /// The shipments checked against the quotes and RajaOngkir, per seller (see
    /// [`choose::confirm`]); refused or unavailable before anything is held.
    pub async fn shipping(&self, lines: &[PricedLine]) -> Result<Shipping, AppError> {
        let mut parcels: Vec<Parcel> = Vec::new();
        if self.state.shipping.is_some() {
            let mut weights: BTreeMap<Uuid, u32> = BTreeMap::new();
            for priced in lines {
                let weight = weights.entry(priced.seller_id).or_default();
                *weight = parcels::add_weight(*weight, priced.weight_grams, priced.line.quantity);
            }
            for (seller_id, weight) in weights {
                parcels.push(Parcel {
                    seller_id,
                    weight_grams: weight.max(1),
                    store: parcels::store_of(self.state, seller_id).await?,
                });
            }
        }
        let destination = self.address.as_shipping().destination_id;
        choose::confirm(
            self.state,
            self.buyer,
            destination,
            &parcels,
            self.shipments,
        )
        .await
    }

    fn planned_order(plan: &Plan, product_id: Uuid) -> Result<Uuid, AppError> {
        plan.orders
            .iter()
            .find(|o| o.product_ids.contains(&product_id))
            .map(|o| o.order_id)
            .ok_or_else(|| anyhow::anyhow!("invariant: every priced line is planned").into())
    }

    /// Reserves line by line in product-id order. On a shortage, checks the remaining lines
    /// too (to name every short line) and gives back what was reserved; on an error, gives it
    /// back before returning. `Some(short lines)` when refused.
    pub async fn reserve(
        &self,
        lines: &[PricedLine],
        plan: &Plan,
        expires_at: DateTime<Utc>,
    ) -> Result<Option<Vec<ShortLine>>, AppError> {
        let mut short = Vec::new();
        let mut reserved_any = false;
        for priced in lines {
            let (product_id, requested) = (priced.line.product_id, priced.line.quantity);
            let stream = streams::stock(product_id);
            if !short.is_empty() {
                let available = match load::<Stock>(self.state.store.as_ref(), &stream).await {
                    Ok(stock) => stock.state.available(),
                    Err(e) => return self.fail(plan, e).await,
                };
                if available < requested {
                    short.push(ShortLine {
                        product_id,
                        requested,
                        available,
                    });
                }
                continue;
            }
            let command = StockCommand::Reserve {
                order_id: Self::planned_order(plan, product_id)?,
                quantity: requested,
                expires_at,
            };
            let ids = self.ids("reserve", product_id);
            match execute::<Stock>(&self.state.store, &stream, &command, ids, self.metadata).await {
                Ok(_) => {
                    reserved_any = true;
                    crate::crash::point("checkout.line_reserved");
                }
                Err(AppError::Rejected(Rule::Stock(StockError::InsufficientStock {
                    available,
                    ..
                }))) => short.push(ShortLine {
                    product_id,
                    requested,
                    available,
                }),
                Err(e) => return self.fail(plan, e).await,
            }
        }
        if short.is_empty() {
            return Ok(None);
        }
        // Nothing placed yet; only reservations made above are held (in a flash sale most
        // buyers are refused on their first line, and hold nothing to give back).
        if reserved_any {
            self.give_back(plan).await?;
        }
        Ok(Some(short))
    }

    async fn fail<T>(&self, plan: &Plan, error: AppError) -> Result<T, AppError> {
        if let Err(e) = self.give_back(plan).await {
            tracing::warn!(error = %e, "could not give back a failed checkout's reservations; they expire");
        }
        Err(error)
    }

    /// Places one order per seller, starts the payment, checks out the cart.
    pub async fn place_and_pay(
        &self,
        lines: &[PricedLine],
        shipping: &Shipping,
        plan: &Plan,
        expires_at: DateTime<Utc>,
        expiry: SnapExpiry,
    ) -> Result<CheckoutOutcome, AppError> {
        let orders = self.place_orders(lines, shipping, plan, expires_at).await?;
        crate::crash::point("checkout.placed");
        if let Some(settled) = self.settle_with_wallet(&orders).await? {
            return Ok(settled);
        }
        let payment = match self
            .start_payment(&orders, lines, shipping, plan, expiry)
            .await?
        {
            Ok(payment) => payment,
            Err(reason) => return Ok(rejected(reason)),
        };
        crate::crash::point("checkout.payment_initiated");
        let position = self.check_out_cart().await?;
        crate::crash::point("checkout.cart_checked_out");
        open::opened(&self.state.pool, &payment, expires_at).await?;
        Ok(outcome_of(self.checkout_id, &orders, &payment, position))
    }

    async fn place_orders(
        &self,
        lines: &[PricedLine],
        shipping: &Shipping,
        plan: &Plan,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<Order>, AppError> {
        let mut by_order: BTreeMap<Uuid, (Uuid, Vec<OrderLine>)> = BTreeMap::new();
        for priced in lines {
            let order_id = Self::planned_order(plan, priced.line.product_id)?;
            let entry = by_order
                .entry(order_id)
                .or_insert((priced.seller_id, Vec::new()));
            entry.1.push(priced.line.clone());
        }
        let mut orders = Vec::new();
        for (order_id, (seller_id, lines)) in by_order {
            let cost = shipping.get(&seller_id).map_or(0, |c| c.cost);
            let shipping_cost = Money::idr(i64::try_from(cost).map_err(anyhow::Error::from)?);
            let command = OrderCommand::Place {
                order_id,
                checkout_id: self.checkout_id,
                payment_id: plan.payment_id,
                buyer_id: self.buyer.id,
                seller_id,
                lines,
                // The quoted price of the chosen service (0 without shipping configured).
                shipping_cost,
                shipping_address: self.address.as_shipping().clone(),
                now: Utc::now(),
                expires_at,
            };
            let stream = streams::order(order_id);
            let ids = self.ids("place", order_id);
            // The order id is this attempt's own: its stream is new (or holds this very
            // placement, after a crash), so it is not read first.
            orders.push(
                start_stream::<Order>(&self.state.store, &stream, &command, ids, self.metadata)
                    .await?
                    .state,
            );
            crate::crash::point("checkout.order_placed");
        }
        Ok(orders)
    }
}
