//! `wallets`: `rm.wallets` (balance per buyer) and `rm.wallet_movements` (every credit and
//! debit) from wallet streams. Replay-safe.
//!
//! The version guard sits on `wallets` (one row per stream): a movement is inserted only by
//! the statement that advanced that row, so a replayed event changes nothing.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::streams::Category;
use pasar_events::types::{Money, WalletCreditSource, WalletEvent};
use uuid::Uuid;

use super::{Projection, Write, currency, decode, position_columns, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "wallets";

pub struct Wallets;

/// One movement of money: its kind, signed amount, balance after it, and what it refers to.
struct Movement {
    kind: &'static str,
    amount: i64,
    balance: Money,
    reference_id: Uuid,
}

fn movement(event: WalletEvent) -> Option<Movement> {
    Some(match event {
        WalletEvent::WalletTopUpRequested { .. } => return None,
        WalletEvent::WalletCredited {
            amount,
            source,
            balance,
            ..
        } => {
            let (kind, reference_id) = match source {
                WalletCreditSource::TopUp { payment_id } => ("top_up", payment_id),
                WalletCreditSource::OrderRefund { order_id, .. } => ("order_refund", order_id),
                WalletCreditSource::PaymentRefund { payment_id } => ("payment_refund", payment_id),
            };
            Movement {
                kind,
                amount: amount.amount,
                balance,
                reference_id,
            }
        }
        WalletEvent::WalletDebited {
            checkout_id,
            amount,
            balance,
            ..
        } => Movement {
            kind: "checkout_payment",
            amount: -amount.amount,
            balance,
            reference_id: checkout_id,
        },
        WalletEvent::WalletDebitReturned {
            debit_id,
            amount,
            balance,
            ..
        } => Movement {
            kind: "checkout_return",
            amount: amount.amount,
            balance,
            reference_id: debit_id,
        },
    })
}

#[async_trait]
impl Projection for Wallets {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Wallet]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["wallets", "wallet_movements"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Wallet) {
            return Ok(());
        }
        let wallet: WalletEvent = decode(event)?;
        let customer_id = stream_uuid(event)?;
        let (version, at) = (event.stream_version, event.recorded_at);
        let Some(moved) = movement(wallet) else {
            // A top-up asked for: no money moved; the row only advances.
            out.push(stmt!(
                "INSERT INTO wallets (customer_id, balance, currency, stream_version, updated_at)
                 VALUES ($1, 0, 'IDR', $2, $3)
                 ON CONFLICT (customer_id) DO UPDATE SET stream_version = EXCLUDED.stream_version,
                     updated_at = EXCLUDED.updated_at
                 WHERE wallets.stream_version < EXCLUDED.stream_version",
                customer_id,
                version,
                at,
            ));
            return Ok(());
        };
        let (txid, global) = position_columns(event.position)?;
        out.push(stmt!(
            "WITH advanced AS (
                 INSERT INTO wallets (customer_id, balance, currency, stream_version, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (customer_id) DO UPDATE SET balance = EXCLUDED.balance,
                     currency = EXCLUDED.currency, stream_version = EXCLUDED.stream_version,
                     updated_at = EXCLUDED.updated_at
                 WHERE wallets.stream_version < EXCLUDED.stream_version
                 RETURNING 1
             )
             INSERT INTO wallet_movements (customer_id, stream_version, txid, global, kind, amount,
                 balance, reference_id, at)
             SELECT $1, $4, $6, $7, $8, $9, $2, $10, $5 FROM advanced
             ON CONFLICT (customer_id, stream_version) DO NOTHING",
            customer_id,
            moved.balance.amount,
            currency(moved.balance),
            version,
            at,
            txid,
            global,
            moved.kind,
            moved.amount,
            moved.reference_id,
        ));
        Ok(())
    }
}
