//! A buyer's wallet (`wallet-{customer}`): rupiah the shop holds for the buyer.
//!
//! The balance is the fold of the stream's events and never goes below zero: a debit larger
//! than the balance is refused, and the command side decides the debits of one wallet one
//! after another on the evolving state (hot streams are serialised), so no interleaving of
//! concurrent spends can overdraw it.
//!
//! - Credits come from top-ups (`RequestTopUp`, then `Credit` once the Snap payment settled
//!   for exactly the amount asked) and from refunds Midtrans could not make. Each source is
//!   credited at most once: a repeat changes nothing.
//! - A checkout debits (`Debit`, keyed by the attempt's payment id) and, if it does not go
//!   through, gets the debit back once (`ReturnDebit`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use pasar_events::types::{Currency, Money, WalletCreditSource, WalletEvent};
use uuid::Uuid;

use crate::Aggregate;

/// Smallest top-up, in rupiah.
pub const MIN_TOP_UP: i64 = 10_000;
/// Largest balance a top-up may bring the wallet to, in rupiah (Bank Indonesia's cap for a
/// registered e-money account). Refunds are credited whatever the balance: they are owed.
pub const MAX_BALANCE: i64 = 20_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Wallet {
    pub balance: Money,
    /// Top-ups asked for and not credited yet: payment id → amount.
    pub pending_top_ups: BTreeMap<Uuid, Money>,
    /// Every source ever credited.
    credited: BTreeSet<WalletCreditSource>,
    /// Every debit ever made, by debit id.
    debits: BTreeMap<Uuid, Debit>,
}

/// One checkout's debit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debit {
    pub amount: Money,
    pub returned: bool,
}

impl Default for Wallet {
    fn default() -> Self {
        Wallet {
            balance: Money::zero(Currency::IDR),
            pending_top_ups: BTreeMap::new(),
            credited: BTreeSet::new(),
            debits: BTreeMap::new(),
        }
    }
}

impl Wallet {
    /// The debit `debit_id`, if there was one.
    pub fn debit(&self, debit_id: Uuid) -> Option<Debit> {
        self.debits.get(&debit_id).copied()
    }

    /// Whether `source` was credited.
    pub fn was_credited(&self, source: &WalletCreditSource) -> bool {
        self.credited.contains(source)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum WalletCommand {
    /// Note a top-up about to be paid through the Snap payment `payment_id`.
    RequestTopUp {
        payment_id: Uuid,
        amount: Money,
        now: DateTime<Utc>,
    },
    /// Money came in from `source` (a settled top-up, an owed refund).
    Credit {
        source: WalletCreditSource,
        amount: Money,
        now: DateTime<Utc>,
    },
    /// Spend `amount` on a checkout.
    Debit {
        debit_id: Uuid,
        checkout_id: Uuid,
        amount: Money,
        now: DateTime<Utc>,
    },
    /// Give a debit back (its checkout did not go through). Nothing happens for an unknown
    /// or already returned debit.
    ReturnDebit {
        debit_id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    },
}

/// Why a wallet command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("the amount must be a positive number of rupiah")]
    InvalidAmount,
    #[error("a top-up must be at least {MIN_TOP_UP} rupiah")]
    TopUpTooSmall,
    #[error("the balance may not exceed {MAX_BALANCE} rupiah after a top-up (balance {balance})")]
    BalanceLimit { balance: i64 },
    #[error("insufficient wallet balance: {balance} available, {requested} requested")]
    InsufficientBalance { balance: i64, requested: i64 },
    #[error("no top-up was requested with this payment")]
    UnknownTopUp,
    #[error("the top-up was requested for {expected} rupiah, not {received}")]
    TopUpAmountMismatch { expected: i64, received: i64 },
    #[error("this debit was already made for another amount")]
    DebitReused,
    #[error("the balance overflows")]
    Overflow,
}

impl Aggregate for Wallet {
    type Event = WalletEvent;
    type Command = WalletCommand;
    type Error = WalletError;

    fn decide(&self, command: &WalletCommand) -> Result<Vec<WalletEvent>, WalletError> {
        match command {
            WalletCommand::RequestTopUp {
                payment_id,
                amount,
                now,
            } => self.request_top_up(*payment_id, *amount, *now),
            WalletCommand::Credit {
                source,
                amount,
                now,
            } => self.credit(*source, *amount, *now),
            WalletCommand::Debit {
                debit_id,
                checkout_id,
                amount,
                now,
            } => self.spend(*debit_id, *checkout_id, *amount, *now),
            WalletCommand::ReturnDebit {
                debit_id,
                reason,
                now,
            } => Ok(self.give_back(*debit_id, reason, *now)),
        }
    }

    fn evolve(mut self, event: &WalletEvent) -> Self {
        match event {
            WalletEvent::WalletTopUpRequested {
                payment_id, amount, ..
            } => {
                self.pending_top_ups.insert(*payment_id, *amount);
            }
            WalletEvent::WalletCredited { amount, source, .. } => {
                if let WalletCreditSource::TopUp { payment_id } = source {
                    self.pending_top_ups.remove(payment_id);
                }
                self.credited.insert(*source);
                self.balance.amount = self.balance.amount.saturating_add(amount.amount);
            }
            WalletEvent::WalletDebited {
                debit_id, amount, ..
            } => {
                let debit = Debit {
                    amount: *amount,
                    returned: false,
                };
                self.debits.insert(*debit_id, debit);
                self.balance.amount = self.balance.amount.saturating_sub(amount.amount);
            }
            WalletEvent::WalletDebitReturned {
                debit_id, amount, ..
            } => {
                if let Some(debit) = self.debits.get_mut(debit_id) {
                    debit.returned = true;
                }
                self.balance.amount = self.balance.amount.saturating_add(amount.amount);
            }
        }
        self
    }
}

impl Wallet {
    fn request_top_up(
        &self,
        payment_id: Uuid,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<WalletEvent>, WalletError> {
        positive(amount)?;
        if self.pending_top_ups.get(&payment_id) == Some(&amount) {
            return Ok(vec![]);
        }
        if amount.amount < MIN_TOP_UP {
            return Err(WalletError::TopUpTooSmall);
        }
        if self.balance.amount.saturating_add(amount.amount) > MAX_BALANCE {
            return Err(WalletError::BalanceLimit {
                balance: self.balance.amount,
            });
        }
        Ok(vec![WalletEvent::WalletTopUpRequested {
            payment_id,
            amount,
            requested_at: now,
        }])
    }

    fn credit(
        &self,
        source: WalletCreditSource,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<WalletEvent>, WalletError> {
        if self.credited.contains(&source) {
            return Ok(vec![]);
        }
        positive(amount)?;
        if let WalletCreditSource::TopUp { payment_id } = source {
            let expected = self
                .pending_top_ups
                .get(&payment_id)
                .ok_or(WalletError::UnknownTopUp)?;
            if *expected != amount {
                return Err(WalletError::TopUpAmountMismatch {
                    expected: expected.amount,
                    received: amount.amount,
                });
            }
        }
        let balance = self
            .balance
            .checked_add(amount)
            .map_err(|_| WalletError::Overflow)?;
        Ok(vec![WalletEvent::WalletCredited {
            amount,
            source,
            balance,
            credited_at: now,
        }])
    }

    fn spend(
        &self,
        debit_id: Uuid,
        checkout_id: Uuid,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Vec<WalletEvent>, WalletError> {
        positive(amount)?;
        if let Some(debit) = self.debits.get(&debit_id) {
            return if debit.amount == amount {
                Ok(vec![])
            } else {
                Err(WalletError::DebitReused)
            };
        }
        if amount.amount > self.balance.amount {
            return Err(WalletError::InsufficientBalance {
                balance: self.balance.amount,
                requested: amount.amount,
            });
        }
        Ok(vec![WalletEvent::WalletDebited {
            debit_id,
            checkout_id,
            amount,
            balance: Money::idr(self.balance.amount - amount.amount),
            debited_at: now,
        }])
    }

    fn give_back(&self, debit_id: Uuid, reason: &str, now: DateTime<Utc>) -> Vec<WalletEvent> {
        match self.debits.get(&debit_id) {
            Some(debit) if !debit.returned => vec![WalletEvent::WalletDebitReturned {
                debit_id,
                amount: debit.amount,
                reason: reason.to_owned(),
                balance: Money::idr(self.balance.amount.saturating_add(debit.amount.amount)),
                returned_at: now,
            }],
            _ => vec![],
        }
    }
}

fn positive(amount: Money) -> Result<(), WalletError> {
    if amount.amount <= 0 || amount.currency != Currency::IDR {
        return Err(WalletError::InvalidAmount);
    }
    Ok(())
}
