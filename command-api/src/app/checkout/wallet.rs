//! The wallet part of a checkout (`pay_with_wallet`): debited first, keyed by the attempt's
//! payment id; given back once if the checkout does not go through. Paid in full by the
//! wallet, the orders are paid at once and no Snap transaction is made; otherwise Snap takes
//! the rest (an item of minus the wallet part keeps `item_details` adding up), and if that
//! part fails or expires, the `wallet-credits` processor gives the wallet part back when the
//! orders close unpaid.

use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::wallet::{Wallet, WalletError};
use pasar_events::types::{CheckoutOutcome, CheckoutRejection, Money, OrderStatus, streams};

use super::attempt::{Attempt, rejected};
use super::record::Plan;
use super::steps::placed;
use crate::app::exec::{execute, load};
use crate::app::{AppError, Rule, wallet};
use crate::midtrans::Item;

impl Attempt<'_> {
    fn pays_with_wallet(&self) -> bool {
        self.wallet.amount > 0
    }

    /// Takes the wallet part; `Some(rejection)` when the balance is short.
    pub async fn debit_wallet(&self) -> Result<Option<CheckoutRejection>, AppError> {
        if !self.pays_with_wallet() {
            return Ok(None);
        }
        let debit_id = self.payment_id(self.attempt);
        let ids = self.ids("wallet-debit", debit_id);
        let store = &self.state.store;
        let target = (debit_id, self.checkout_id);
        match wallet::debit(
            store,
            self.buyer.id,
            target,
            self.wallet,
            ids,
            self.metadata,
        )
        .await
        {
            Ok(_) => {
                crate::crash::point("checkout.wallet_debited");
                Ok(None)
            }
            Err(AppError::Rejected(Rule::Wallet(WalletError::InsufficientBalance {
                balance,
                requested,
            }))) => Ok(Some(CheckoutRejection::InsufficientWalletBalance {
                balance,
                requested,
            })),
            Err(e) => Err(e),
        }
    }

    /// Gives attempt `attempt`'s wallet part back (nothing if it took none or got it back).
    pub async fn return_debit(&self, attempt: u32) -> Result<(), AppError> {
        if !self.pays_with_wallet() {
            return Ok(());
        }
        let debit_id = self.payment_id(attempt);
        let ids = self.ids("wallet-return", debit_id);
        let reason = "checkout did not go through";
        let store = &self.state.store;
        wallet::return_debit(store, self.buyer.id, debit_id, reason, ids, self.metadata).await
    }

    /// Earlier attempts died or gave up (and were given back); so are their wallet parts.
    pub async fn return_earlier_debits(&self) -> Result<(), AppError> {
        for attempt in 1..self.attempt {
            self.return_debit(attempt).await?;
        }
        Ok(())
    }

    /// With a wallet part: refused when it exceeds the total; when it covers the total, the
    /// orders paid and the checkout answered. `None` when Snap takes the rest.
    pub async fn settle_with_wallet(
        &self,
        orders: &[Order],
    ) -> Result<Option<CheckoutOutcome>, AppError> {
        if !self.pays_with_wallet() {
            return Ok(None);
        }
        let Some(total) = total_of(orders) else {
            return Ok(None); // start_payment refuses it as an invalid total
        };
        if self.wallet.amount > total.amount {
            let total = total.amount;
            return Ok(Some(rejected(
                CheckoutRejection::WalletAmountExceedsTotal { total },
            )));
        }
        if self.wallet != total {
            return Ok(None);
        }
        self.paid_with_wallet(orders, false).await.map(Some)
    }

    /// Snap's part: the gross amount less the wallet part, with an item of minus that part.
    pub fn snap_part(&self, gross: Money, items: &mut Vec<Item>) -> Money {
        if !self.pays_with_wallet() {
            return gross;
        }
        items.push(Item {
            id: "WALLET".into(),
            name: "Paid from Pasar wallet".into(),
            price: -self.wallet.amount,
            quantity: 1,
        });
        Money::idr(gross.amount - self.wallet.amount)
    }

    /// Checks out the cart, then marks `orders` paid (the order flow commits their
    /// reservations) and answers. The cart first: a concurrent checkout that emptied it wins,
    /// and this one is refused and given back before any order is paid. `resumed`: a dead
    /// attempt's retry, whose cart the buyer may have emptied since (the checkout stands).
    async fn paid_with_wallet(
        &self,
        orders: &[Order],
        resumed: bool,
    ) -> Result<CheckoutOutcome, AppError> {
        let position = match self.check_out_cart().await {
            Err(AppError::Rejected(_)) if resumed => self.state.store.head().await?,
            checked_out => checked_out?,
        };
        let mut paid = Vec::with_capacity(orders.len());
        for order in orders {
            let command = OrderCommand::MarkPaid {
                payment_id: order.payment_id,
                now: Utc::now(),
            };
            let stream = streams::order(order.order_id);
            let ids = self.ids("wallet-paid", order.order_id);
            let store = &self.state.store;
            let outcome = execute::<Order>(store, &stream, &command, ids, self.metadata).await?;
            crate::crash::point("checkout.order_paid_with_wallet");
            paid.push((outcome.state, outcome.position));
        }
        let position = paid
            .iter()
            .map(|(_, p)| *p)
            .max()
            .unwrap_or(position)
            .max(position);
        let paid: Vec<Order> = paid.into_iter().map(|(o, _)| o).collect();
        Ok(CheckoutOutcome::PaidWithWallet {
            checkout_id: self.checkout_id,
            orders: placed(&paid),
            wallet_amount: self.wallet,
            consistency_token: position.to_string(),
        })
    }

    /// A dead attempt that took the whole total from the wallet and placed every order is
    /// finished (its orders paid); `None` for anything else, which is given back.
    pub async fn finish_paid_with_wallet(
        &self,
        plan: &Plan,
    ) -> Result<Option<CheckoutOutcome>, AppError> {
        if !self.pays_with_wallet() {
            return Ok(None);
        }
        let store = self.state.store.as_ref();
        let wallet = load::<Wallet>(store, &streams::wallet(self.buyer.id)).await?;
        let Some(debit) = wallet.state.debit(plan.payment_id) else {
            return Ok(None);
        };
        let mut orders = Vec::new();
        for planned in &plan.orders {
            let stream = streams::order(planned.order_id);
            orders.push(load::<Order>(store, &stream).await?.state);
        }
        let open = |o: &Order| {
            matches!(
                o.status,
                Some(OrderStatus::AwaitingPayment | OrderStatus::Paid)
            )
        };
        if debit.returned || !orders.iter().all(open) || total_of(&orders) != Some(debit.amount) {
            return Ok(None);
        }
        self.paid_with_wallet(&orders, true).await.map(Some)
    }
}

fn total_of(orders: &[Order]) -> Option<Money> {
    orders
        .iter()
        .try_fold(Money::idr(0), |sum, o| sum.checked_add(o.total).ok())
}
