//! Processes that follow the log, written against `pasar_events::runtime::Processor`:
//! - [`order_flow::OrderFlow`]: payment → orders → stock (settled: paid and committed;
//!   failed: cancelled and released), and the open-checkout bookkeeping;
//! - [`expiry::ExpirySweeper`]: tracks open reservations and, on its own tick with bounded
//!   concurrency for the Midtrans calls, expires what outlived its order's payment window.
//!   It is a processor of its own, so settlements never wait behind a sweep;
//! - [`auto_complete::AutoCompleter`]: completes delivered orders their buyers did not
//!   complete within `ORDER_AUTO_COMPLETE_DAYS`;
//! - [`order_refunds::OrderRefunds`]: carries out the refunds orders ask for through
//!   Midtrans, once each;
//! - [`thumbnails::Thumbnails`]: makes the thumbnails of each product image added, once.
//! - [`avatars::AvatarThumbnails`]: makes the square thumbnail of each avatar set, once.
//! - [`account_access::AccountAccess`]: an admin's suspension, reinstatement or role change
//!   into the `account_access` table every service checks tokens against, and a suspended
//!   account's unpaid checkouts cancelled;
//! - [`imports::Imports`]: works through CSV product imports line by line, through the same
//!   use cases as the HTTP routes, and records each line's outcome.
//! - [`notifications::Notifications`]: mails buyers and sellers about their orders and stock,
//!   at most once per event and kind.
//! - [`wallet_credits::WalletCredits`]: credits buyers' wallets with settled top-ups and owed
//!   refunds, and gives a checkout's wallet part back when its orders close unpaid; once each.
//! - [`review_lines::ReviewLines`]: indexes order lines by buyer and product, for reviews.
//!
//! Their tables are created by the numbered SQL files in `command-api/migrations/`
//! ([`MIGRATIONS`]).

pub mod account_access;
pub mod auto_complete;
pub mod avatars;
pub mod expiry;
pub mod imports;
pub mod notifications;
pub mod order_flow;
pub mod order_refunds;
pub mod review_lines;
#[cfg(test)]
mod tests;
pub mod thumbnails;
pub mod wallet_credits;

use pasar_domain::Aggregate;
use pasar_events::runtime::{Migrations, ProcessError};
use pasar_events::{EventStore, Metadata, RecordedEvent};

use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute};

/// command-api's own schema, applied by the runtime's migration mechanism at start-up.
pub const MIGRATIONS: Migrations = Migrations {
    owner: "command_api",
    steps: &[
        (
            "001_open_reservations",
            include_str!("../../migrations/001_open_reservations.sql"),
        ),
        (
            "002_open_checkouts",
            include_str!("../../migrations/002_open_checkouts.sql"),
        ),
        (
            "003_idempotency_keys",
            include_str!("../../migrations/003_idempotency_keys.sql"),
        ),
        (
            "004_delivered_orders",
            include_str!("../../migrations/004_delivered_orders.sql"),
        ),
        (
            "007_shipping_quotes",
            include_str!("../../migrations/007_shipping_quotes.sql"),
        ),
        (
            "008_committed_order_lines",
            include_str!("../../migrations/008_committed_order_lines.sql"),
        ),
        (
            "010_account_access",
            include_str!("../../migrations/010_account_access.sql"),
        ),
        (
            "011_review_lines",
            include_str!("../../migrations/011_review_lines.sql"),
        ),
        (
            "013_notifications",
            include_str!("../../migrations/013_notifications.sql"),
        ),
        (
            "014_checkout_open_hold",
            include_str!("../../migrations/014_checkout_open_hold.sql"),
        ),
    ],
};

/// How a failed reaction reaches the runtime: a lost race or a dependency down is retried;
/// a broken invariant stops the processor.
pub fn process_error(e: AppError) -> ProcessError {
    match e {
        AppError::Internal(e) => ProcessError::Fatal(e.into()),
        other => ProcessError::Transient(Box::new(other)),
    }
}

/// Sets `pasar_refunds_owed` to the number of refunds owed in the log and not yet paid back
/// (`PaymentRefundOwed` of late settlements and `OrderRefundOwed` of refunds Midtrans could
/// not make, less the wallet credits that paid them back). Counted from the log (PostgreSQL
/// backend), not kept in memory, so it is right after a restart and on any instance; the
/// processors that see a new owed refund or its credit call it. With another backend the
/// query fails and the gauge stays unset (logged).
pub(crate) async fn refresh_refunds_owed(pool: &deadpool_postgres::Pool) {
    let counted = async {
        let client = pool.get().await.map_err(anyhow::Error::from)?;
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM es_events
                         WHERE event_type IN ('PaymentRefundOwed', 'OrderRefundOwed'))
                      - (SELECT count(*) FROM es_events WHERE event_type = 'WalletCredited'
                         AND data->'source'->>'kind' IN ('order_refund', 'payment_refund'))",
                &[],
            )
            .await?;
        anyhow::Ok(row.get::<_, i64>(0))
    };
    match counted.await {
        #[expect(clippy::cast_precision_loss, reason = "a count far below 2^52")]
        Ok(owed) => metrics::gauge!("pasar_refunds_owed").set(owed as f64),
        Err(e) => tracing::warn!(error = ?e, "could not count owed refunds"),
    }
}

/// Our own PostgreSQL failing (down, restarting): transient, retried on the next tick.
pub(crate) fn database_down(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: crate::app::Dependency::Database,
        detail: e.to_string(),
    }
}

/// Metadata of events a reaction appends: same correlation, caused by `event`.
pub fn caused_by(event: &RecordedEvent) -> Metadata {
    Metadata {
        correlation_id: event.metadata.correlation_id,
        causation_id: Some(event.event_id),
        ..Metadata::default()
    }
}

/// Runs `command` on `stream` in reaction to `event`, with ids derived from both, so a replay
/// appends nothing new. A rule refusing it (the target moved on) is logged for a human and
/// not retried; a lost race or an outage is.
pub async fn react<A>(
    store: &std::sync::Arc<dyn EventStore>,
    event: &RecordedEvent,
    stream: &str,
    command: &A::Command,
) -> Result<(), AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    react_with_state::<A>(store, event, stream, command)
        .await
        .map(drop)
}

/// [`react`], answering the aggregate's state after the reaction (`None` when a rule refused
/// it).
pub async fn react_with_state<A>(
    store: &std::sync::Arc<dyn EventStore>,
    event: &RecordedEvent,
    stream: &str,
    command: &A::Command,
) -> Result<Option<A>, AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let ids = EventIds::Derived(derive_id(&[
        "reaction",
        &event.event_id.to_string(),
        stream,
    ]));
    match execute::<A>(store, stream, command, ids, &caused_by(event)).await {
        Ok(outcome) => Ok(Some(outcome.state)),
        Err(AppError::Rejected(rule)) => {
            tracing::error!(%stream, cause = %event.event_id, %rule, "reaction refused by a rule; needs manual review");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
