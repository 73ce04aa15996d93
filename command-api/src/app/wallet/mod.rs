//! The buyer's wallet (`wallet-{customer}`): top-ups through Midtrans Snap ([`top_up`]), the
//! credits and returns the processes make ([`credit`], [`return_debit`]), and the debit a
//! checkout makes ([`debit`]). Every command goes through `exec::execute`, so the commands on
//! one wallet are decided one after another on its current balance: concurrent spends never
//! take it below zero.

mod top_up;

use chrono::Utc;
use pasar_domain::wallet::{Wallet, WalletCommand};
use pasar_events::types::{Money, WalletCreditSource, streams};
use pasar_events::{EventStore, Metadata, Position};
use std::sync::Arc;
use uuid::Uuid;

use super::AppError;
use super::exec::{EventIds, execute, load};

pub use top_up::{TopUp, top_up};

/// Spends `amount` of `customer`'s wallet on a checkout attempt (`debit_id`: the attempt's
/// payment id). Refused with `WalletError::InsufficientBalance` when the balance is short.
pub async fn debit(
    store: &Arc<dyn EventStore>,
    customer: Uuid,
    (debit_id, checkout_id): (Uuid, Uuid),
    amount: Money,
    ids: EventIds,
    metadata: &Metadata,
) -> Result<Position, AppError> {
    let command = WalletCommand::Debit {
        debit_id,
        checkout_id,
        amount,
        now: Utc::now(),
    };
    let stream = streams::wallet(customer);
    Ok(execute::<Wallet>(store, &stream, &command, ids, metadata)
        .await?
        .position)
}

/// Gives the debit `debit_id` back to `customer`'s wallet, once; nothing happens when there
/// was no such debit or it was returned already.
pub async fn return_debit(
    store: &Arc<dyn EventStore>,
    customer: Uuid,
    debit_id: Uuid,
    reason: &str,
    ids: EventIds,
    metadata: &Metadata,
) -> Result<(), AppError> {
    let command = WalletCommand::ReturnDebit {
        debit_id,
        reason: reason.to_owned(),
        now: Utc::now(),
    };
    let stream = streams::wallet(customer);
    execute::<Wallet>(store, &stream, &command, ids, metadata).await?;
    Ok(())
}

/// The command crediting `amount` from `source` (once per source).
pub fn credit(source: WalletCreditSource, amount: Money) -> WalletCommand {
    WalletCommand::Credit {
        source,
        amount,
        now: Utc::now(),
    }
}

/// Whether the checkout payment `payment_id` of `buyer` took a wallet part (a late
/// settlement never revives such a checkout: its wallet part went back when its orders
/// closed, so its Snap part is refunded instead).
pub async fn had_wallet_part(
    store: &dyn EventStore,
    buyer: Uuid,
    payment_id: Uuid,
) -> Result<bool, AppError> {
    let wallet = load::<Wallet>(store, &streams::wallet(buyer)).await?;
    Ok(wallet.state.debit(payment_id).is_some())
}
