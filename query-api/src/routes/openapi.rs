//! The query API's OpenAPI document: its frame and the request header every consistent read
//! takes. The routes are registered with `utoipa_axum::routes!` in [`super::router`], so a
//! route cannot be served without being documented; `tests/openapi.rs` checks the rest.

use serde::Deserialize;
use utoipa::{IntoParams, OpenApi};

/// The document's frame; [`super::documented_routes`] adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pasar query API",
        description = "Reads: the catalog, the buyer's cart, orders and the projections' \
                       progress. Money is an integer number of rupiah (IDR). Every error is \
                       RFC 9457 `application/problem+json`. Send a command's consistency token \
                       as `X-Consistency-Token` to read your own write.",
        license(name = "MIT")
    ),
    tags(
        (name = "catalog", description = "Products"),
        (name = "cart", description = "The buyer's cart"),
        (name = "orders", description = "Orders and their payment status"),
        (name = "sellers", description = "Sellers' public stores"),
        (name = "wallet", description = "Buyers' wallets: balance and movements"),
        (name = "admin", description = "Accounts, for admins"),
        (name = "me", description = "The signed-in user's own data"),
        (name = "reviews", description = "Product reviews, rating summaries, moderation"),
        (name = "wishlist", description = "The buyer's wishlist"),
        (name = "operations", description = "Projections, health, readiness, metrics")
    )
)]
pub struct ApiDoc;

/// Read-your-writes: the `consistency_token` of a command.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "read by `consistency`; this type only documents it"
)]
pub struct ConsistencyTokenHeader {
    /// `<txid>-<global>`, as a command answered it. The query waits until every projection it
    /// reads has passed that position (503 with `Retry-After` after `CONSISTENCY_WAIT_MS`); a
    /// malformed token is 400.
    #[param(
        rename = "X-Consistency-Token",
        nullable = false,
        example = "812-40",
        pattern = "^[0-9]+-[0-9]+$"
    )]
    pub token: Option<String>,
}
