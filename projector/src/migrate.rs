//! Read-model schema migrations, on the one migration mechanism (`pasar_events::migrate`):
//! plain SQL files embedded in the binary, applied in order at start-up, recorded in
//! `public.pasar_migrations` under owner `read_models`.

use deadpool_postgres::Pool;
use pasar_events::runtime::{self, Migrations};

use crate::ProjectorError;

/// The read models' steps. Append only.
pub const MIGRATIONS: Migrations = Migrations {
    owner: "read_models",
    steps: &[
        (
            "001_read_model_registry",
            include_str!("../migrations/001_read_model_registry.sql"),
        ),
        (
            "002_order_refund_status",
            include_str!("../migrations/002_order_refund_status.sql"),
        ),
        (
            "003_product_images",
            include_str!("../migrations/003_product_images.sql"),
        ),
        (
            "004_product_low_stock_threshold",
            include_str!("../migrations/004_product_low_stock_threshold.sql"),
        ),
        (
            "007_order_payment_refund",
            include_str!("../migrations/007_order_payment_refund.sql"),
        ),
        (
            "009_product_seller_hidden",
            include_str!("../migrations/009_product_seller_hidden.sql"),
        ),
    ],
};

/// Applies the event store's, the runtime's and the read models' migrations, in that order
/// (the read models' views refer to the other two). Safe on every start and from several
/// processes at once.
pub async fn migrate(pool: &Pool) -> Result<(), ProjectorError> {
    runtime::migrate(
        pool,
        &[
            pasar_events::postgres::MIGRATIONS,
            runtime::checkpoint::MIGRATIONS,
            MIGRATIONS,
        ],
    )
    .await?;
    Ok(())
}
