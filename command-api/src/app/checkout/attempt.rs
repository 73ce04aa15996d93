//! One attempt at a checkout: check limits, price, plan, reserve, place, pay. Every id it
//! appends derives from (checkout, attempt, target), so a crash and a retry of the same
//! attempt land on the same events, and a later attempt never collides with an earlier one.
//!
//! Anything that fails after a reservation gives back what this attempt holds before the
//! error travels up: orders cancelled, reservations released.

use chrono::Utc;
use pasar_domain::cart::{Cart, CartCommand};
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::{Payment, PaymentStatus};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_domain::values::Address;
use pasar_events::types::{
    CheckoutEvent, CheckoutOutcome, CheckoutRejection, OrderStatus, PlannedOrder, streams,
};
use pasar_events::{ExpectedVersion, Metadata};
use uuid::Uuid;

use super::open;
use super::record::Plan;
use super::steps::{PricedLine, outcome_of};
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::{Actor, AppError, AppState};
use crate::midtrans::SnapExpiry;

pub(super) struct Attempt<'a> {
    pub state: &'a AppState,
    pub buyer: Actor,
    pub checkout_id: Uuid,
    pub attempt: u32,
    pub stream: &'a str,
    pub metadata: &'a Metadata,
    pub address: &'a Address,
    pub shipments: &'a [super::Shipment],
    /// What the buyer's wallet pays (zero: nothing).
    pub wallet: pasar_events::types::Money,
}

pub(super) fn rejected(reason: CheckoutRejection) -> CheckoutOutcome {
    CheckoutOutcome::Rejected { reason }
}

/// An attempt decided as far as reads alone allow ([`Attempt::prepare`]).
pub(super) enum Prepared {
    /// Refused before anything is held: the cart's limits, or a product not on sale.
    Refused(CheckoutRejection),
    /// Priced, with the plan to record before anything is reserved.
    Planned { lines: Vec<PricedLine>, plan: Plan },
}

impl Prepared {
    /// The event that records this preparation in the checkout stream.
    pub fn event(&self) -> CheckoutEvent {
        match self {
            Prepared::Refused(reason) => CheckoutEvent::CheckoutAnswered {
                outcome: rejected(reason.clone()),
            },
            Prepared::Planned { plan, .. } => planned_event(plan),
        }
    }
}

fn planned_event(plan: &Plan) -> CheckoutEvent {
    CheckoutEvent::CheckoutPlanned {
        attempt: plan.attempt,
        payment_id: plan.payment_id,
        orders: plan.orders.clone(),
    }
}

impl Attempt<'_> {
    /// A seed for this attempt's own events in the checkout stream.
    pub fn seed(&self, step: &str) -> Uuid {
        derive_id(&[
            "checkout",
            step,
            &self.checkout_id.to_string(),
            &self.attempt.to_string(),
        ])
    }

    /// Ids for this attempt's events on another stream.
    pub fn ids(&self, step: &str, target: Uuid) -> EventIds {
        EventIds::Derived(derive_id(&[
            step,
            &self.checkout_id.to_string(),
            &self.attempt.to_string(),
            &target.to_string(),
        ]))
    }

    /// The payment id of attempt `attempt` (also the id of its wallet debit).
    pub fn payment_id(&self, attempt: u32) -> Uuid {
        derive_id(&[
            "payment",
            &self.checkout_id.to_string(),
            &attempt.to_string(),
        ])
    }

    fn order_id(&self, seller_id: Uuid) -> Uuid {
        derive_id(&[
            "order",
            &self.checkout_id.to_string(),
            &self.attempt.to_string(),
            &seller_id.to_string(),
        ])
    }

    /// Takes over from dead attempts: finishes the newest if it got as far as the payment,
    /// else gives back what they all held and runs afresh. (Only the newest can have reached
    /// the payment: an older one was given back before the next one planned.)
    pub async fn resume(&self, plans: Vec<Plan>) -> Result<CheckoutOutcome, AppError> {
        if let Some(newest) = plans.last()
            && let Some(outcome) = self.finish(newest).await?
        {
            return Ok(outcome);
        }
        for plan in &plans {
            self.give_back(plan).await?;
        }
        self.run().await
    }

    /// Runs this attempt once it holds the checkout (a resumed attempt, or a new checkout
    /// whose stream existed already): prepares it, records its plan, goes on.
    pub async fn run(&self) -> Result<CheckoutOutcome, AppError> {
        self.return_earlier_debits().await?;
        let prepared = self.prepare().await?;
        if let Prepared::Planned { plan, .. } = &prepared {
            let event = planned_event(plan);
            let seed = self.seed("planned");
            super::append(
                self.state,
                self.stream,
                ExpectedVersion::Any,
                &event,
                &seed,
                self.metadata,
            )
            .await?;
            crate::crash::point("checkout.planned");
        }
        self.run_prepared(prepared).await
    }

    /// What can be decided before the checkout is claimed, from reads alone: the cart's own
    /// limits and its prices, and so the plan. A new checkout records this together with its
    /// claim (one append: `CheckoutStarted` with `CheckoutPlanned`, or with the answer).
    pub async fn prepare(&self) -> Result<Prepared, AppError> {
        let cart = load::<Cart>(self.state.store.as_ref(), &streams::cart(self.buyer.id))
            .await?
            .state;
        if let Some(reason) = self.refused_by_cart_limits(&cart) {
            return Ok(Prepared::Refused(reason));
        }
        let lines = match self.price_lines(&cart).await? {
            Ok(lines) => lines,
            Err(reason) => return Ok(Prepared::Refused(reason)),
        };
        let plan = self.plan(&lines);
        Ok(Prepared::Planned { lines, plan })
    }

    /// Goes on from a recorded preparation. The wallet part, if any, is taken first (so
    /// concurrent checkouts never spend the same rupiah twice) and given back unless the
    /// checkout goes through.
    pub async fn run_prepared(&self, prepared: Prepared) -> Result<CheckoutOutcome, AppError> {
        let (lines, plan) = match prepared {
            Prepared::Refused(reason) => return Ok(rejected(reason)),
            Prepared::Planned { lines, plan } => (lines, plan),
        };
        if let Some(reason) = self.debit_wallet().await? {
            return Ok(rejected(reason));
        }
        let outcome = self.run_debited(&lines, &plan).await;
        if !matches!(
            outcome,
            Ok(CheckoutOutcome::Succeeded { .. } | CheckoutOutcome::PaidWithWallet { .. })
        ) {
            self.return_debit(self.attempt).await?;
        }
        outcome
    }

    async fn run_debited(
        &self,
        lines: &[PricedLine],
        plan: &Plan,
    ) -> Result<CheckoutOutcome, AppError> {
        let limit = self.state.config.checkout.max_open_checkouts;
        let until = Utc::now() + self.state.config.checkout.in_flight;
        let pool = &self.state.pool;
        if !open::hold(pool, self.buyer.id, self.checkout_id, limit, until).await? {
            return Ok(rejected(CheckoutRejection::TooManyOpenCheckouts { limit }));
        }
        // The open-checkout slot is held by the checkout id until the payment's own row
        // replaces it (`open::opened`), or given back here when the checkout ends without one.
        let outcome = self.run_held(lines, plan).await;
        if !matches!(outcome, Ok(CheckoutOutcome::Succeeded { .. })) {
            open::release(&self.state.pool, self.checkout_id).await;
        }
        outcome
    }

    async fn run_held(
        &self,
        lines: &[PricedLine],
        plan: &Plan,
    ) -> Result<CheckoutOutcome, AppError> {
        // Shipping is checked (and RajaOngkir asked) before anything is reserved.
        let shipping = self.shipping(lines).await?;
        // One start for both clocks: the order expires and the Snap page closes counted from it.
        let reserved_at = Utc::now();
        let expires_at = reserved_at + self.state.config.payment_timeout;
        if let Some(short_lines) = self.reserve(lines, plan, expires_at).await? {
            return Ok(rejected(CheckoutRejection::InsufficientStock {
                short_lines,
            }));
        }
        crate::crash::point("checkout.reserved");
        let expiry = SnapExpiry::new(reserved_at, self.state.config.payment_timeout);
        let placed = self
            .place_and_pay(lines, &shipping, plan, expires_at, expiry)
            .await;
        if !matches!(
            placed,
            Ok(CheckoutOutcome::Succeeded { .. } | CheckoutOutcome::PaidWithWallet { .. })
        ) {
            self.give_back(plan).await?;
        }
        placed
    }

    fn refused_by_cart_limits(&self, cart: &Cart) -> Option<CheckoutRejection> {
        if cart.is_empty() {
            return Some(CheckoutRejection::CartIsEmpty);
        }
        let max = self.state.config.checkout.max_line_quantity;
        let (&product_id, _) = cart.lines().iter().find(|(_, q)| **q > max)?;
        Some(CheckoutRejection::LineQuantityTooLarge { product_id, max })
    }

    /// What this attempt is about to reserve and place: one order per seller.
    fn plan(&self, lines: &[PricedLine]) -> Plan {
        let mut orders: Vec<PlannedOrder> = Vec::new();
        for priced in lines {
            let order_id = self.order_id(priced.seller_id);
            match orders.iter_mut().find(|o| o.order_id == order_id) {
                Some(order) => order.product_ids.push(priced.line.product_id),
                None => orders.push(PlannedOrder {
                    order_id,
                    seller_id: priced.seller_id,
                    product_ids: vec![priced.line.product_id],
                }),
            }
        }
        Plan {
            attempt: self.attempt,
            payment_id: self.payment_id(self.attempt),
            orders,
        }
    }

    /// The outcome of a dead attempt that started its payment: that attempt is finished
    /// (the cart checked out) and answered, with its orders as they are now. Its orders are
    /// never given back, since the payment may be paid. `None` if it never reached the payment.
    async fn finish(&self, plan: &Plan) -> Result<Option<CheckoutOutcome>, AppError> {
        let store = self.state.store.as_ref();
        let payment = load::<Payment>(store, &streams::payment(plan.payment_id))
            .await?
            .state;
        if payment.status == PaymentStatus::NotInitiated {
            return self.finish_paid_with_wallet(plan).await;
        }
        let mut orders = Vec::new();
        for order_id in &payment.order_ids {
            orders.push(
                load::<Order>(store, &streams::order(*order_id))
                    .await?
                    .state,
            );
        }
        // The buyer may have emptied the cart since; the checkout stands all the same.
        let position = match self.check_out_cart().await {
            Err(AppError::Rejected(_)) => self.state.store.head().await?,
            checked_out => checked_out?,
        };
        if let Some(open) = orders
            .iter()
            .find(|o| o.status == Some(OrderStatus::AwaitingPayment))
        {
            open::opened(&self.state.pool, &payment, open.expires_at).await?;
        }
        Ok(Some(outcome_of(
            self.checkout_id,
            &orders,
            &payment,
            position,
        )))
    }

    pub async fn check_out_cart(&self) -> Result<pasar_events::Position, AppError> {
        let command = CartCommand::CheckOut {
            checkout_id: self.checkout_id,
        };
        let stream = streams::cart(self.buyer.id);
        let ids = self.ids("cart", self.buyer.id);
        Ok(
            execute::<Cart>(&self.state.store, &stream, &command, ids, self.metadata)
                .await?
                .position,
        )
    }

    /// Gives back what `plan`'s attempt holds: its unpaid orders cancelled, its reservations
    /// released. Idempotent, and safe for steps the attempt never reached.
    pub async fn give_back(&self, plan: &Plan) -> Result<(), AppError> {
        let seed = |step: &str, target: Uuid| {
            EventIds::Derived(derive_id(&[
                step,
                &self.checkout_id.to_string(),
                &plan.attempt.to_string(),
                &target.to_string(),
            ]))
        };
        for planned in &plan.orders {
            let stream = streams::order(planned.order_id);
            let order = load::<Order>(self.state.store.as_ref(), &stream)
                .await?
                .state;
            match order.status {
                None | Some(OrderStatus::Cancelled | OrderStatus::Expired) => {}
                Some(OrderStatus::AwaitingPayment) => {
                    let cancel = OrderCommand::Cancel {
                        reason: "checkout attempt abandoned".into(),
                        now: Utc::now(),
                    };
                    let ids = seed("give-back-cancel", planned.order_id);
                    execute::<Order>(&self.state.store, &stream, &cancel, ids, self.metadata)
                        .await?;
                }
                // Paid or further: its reservations were committed; nothing to give back.
                Some(_) => continue,
            }
            self.release(planned, seed).await?;
        }
        Ok(())
    }

    async fn release(
        &self,
        planned: &PlannedOrder,
        seed: impl Fn(&str, Uuid) -> EventIds,
    ) -> Result<(), AppError> {
        for product_id in &planned.product_ids {
            let command = StockCommand::Release {
                order_id: planned.order_id,
                reason: "checkout attempt abandoned".into(),
            };
            let stream = streams::stock(*product_id);
            let ids = seed("give-back-release", *product_id);
            execute::<Stock>(&self.state.store, &stream, &command, ids, self.metadata).await?;
        }
        Ok(())
    }
}
