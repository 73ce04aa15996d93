//! The command API's OpenAPI document: the answer bodies the handlers build, the headers they
//! read and set, and the document's frame. The routes themselves are registered with
//! `utoipa_axum::routes!` in each area's `router()`, so a route cannot be served without being
//! documented; `openapi_tests.rs` checks the rest (every documented operation is served, and
//! schemathesis in `scripts/test` checks the answers against these schemas).
//!
//! The handlers render their answers with `json!`; the types below describe those bodies for
//! the document only (schemathesis' `response_schema_conformance` check keeps the two equal).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::openapi::{Header, OpenApi as Document, RefOr};
use utoipa::{IntoParams, OpenApi, ToSchema};
use uuid::Uuid;

/// The document's frame; `crate::http::router` adds the paths.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pasar command API",
        description = "Writes: accounts, catalog, stock, cart, checkout and the Midtrans \
                       webhook. Money is an integer number of rupiah (IDR). Every error is RFC \
                       9457 `application/problem+json`. Every successful command answers with a \
                       `consistency_token` (also in the `X-Consistency-Token` header): send it \
                       to the query API to read your own write.",
        license(name = "MIT")
    ),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "catalog", description = "Products and stock"),
        (name = "cart", description = "The buyer's cart"),
        (name = "checkout", description = "Orders and payment"),
        (name = "webhooks", description = "Calls from Midtrans"),
        (name = "shipping", description = "RajaOngkir locations and quotes for the cart"),
        (name = "sellers", description = "Sellers' store profiles"),
        (name = "profile", description = "The caller's own account, password, avatar and address book"),
        (name = "wallet", description = "The buyer's wallet: top-ups"),
        (name = "admin", description = "An admin's actions on accounts"),
        (name = "reviews", description = "Product reviews and their moderation"),
        (name = "wishlist", description = "The buyer's wishlist"),
        (name = "operations", description = "Health, readiness, metrics")
    )
)]
pub struct ApiDoc;

/// Adds `X-Consistency-Token` to every successful command answer that carries a body (run on
/// the whole document, after the paths are in).
pub fn consistency_token_headers(doc: &mut Document) {
    let header = Header::builder()
        .schema(Some(<String as utoipa::PartialSchema>::schema()))
        .description(Some(
            "The log position of what the command appended, `<txid>-<global>`; the same \
             as the body's `consistency_token`. Send it as `X-Consistency-Token` to the \
             query API.",
        ))
        .build();
    for (path, op) in pasar_service::openapi::operations_mut(doc) {
        // The shipping reads (destinations, quotes) answer no consistency token.
        if !path.starts_with("/v1/")
            || path.starts_with("/v1/webhooks/")
            || path.starts_with("/v1/shipping/")
        {
            continue;
        }
        for (status, response) in &mut op.responses.responses {
            if let (true, RefOr::T(response)) = (status.starts_with('2'), response)
                && !response.content.is_empty()
            {
                response
                    .headers
                    .insert("X-Consistency-Token".into(), RefOr::T(header.clone()));
            }
        }
    }
}

/// The optional `Idempotency-Key` header: a retry with the same key lands once and gets the
/// first answer again.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// 1 to 255 printable characters (a UUID is a good choice); 400 otherwise.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        example = "5f0c9a53-7c1e-4a8e-9b7a-1d2f3e4a5b6c"
    )]
    pub key: Option<String>,
}

/// The required `Idempotency-Key` header of `POST /v1/checkout` (400 without it).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct RequiredIdempotencyKeyHeader {
    /// 1 to 255 printable characters; the checkout is derived from (buyer, key).
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        example = "5f0c9a53-7c1e-4a8e-9b7a-1d2f3e4a5b6c"
    )]
    pub key: String,
}

/// The caller, as the tokens describe it.
#[derive(ToSchema)]
pub struct User {
    pub id: Uuid,
    #[schema(format = "email", example = "ani@example.com")]
    pub email: String,
    #[schema(example = "Ani Lestari")]
    pub full_name: String,
    pub role: RoleName,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RoleName {
    Buyer,
    Seller,
    Admin,
}

/// The role a registration asks for (admins are never registered: the first comes from
/// configuration). Documented as an enum so that generated clients offer exactly these; the
/// handler still parses the field itself, to answer any other value 422 naming `role`.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum RegistrationRole {
    Buyer,
    Seller,
}

/// A new session: an access token and the refresh token that renews it.
#[derive(ToSchema)]
pub struct TokenAnswer {
    /// HS256 JWT for `Authorization: Bearer …` on both APIs.
    pub access_token: String,
    /// Opaque; `POST /v1/auth/refresh` swaps it for a new pair (once).
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds the access token is valid.
    #[schema(example = 900)]
    pub expires_in: u64,
    pub user: User,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

/// The id of what was created.
#[derive(ToSchema)]
pub struct CreatedAnswer {
    pub id: Uuid,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

/// A product's images after a change, in order (the first is the cover).
#[derive(ToSchema)]
pub struct ImagesAnswer {
    pub product_id: Uuid,
    pub images: Vec<ImageAnswer>,
    /// Upload only: the images this request added.
    pub added: Option<Vec<Uuid>>,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

/// One image of a product.
#[derive(ToSchema)]
pub struct ImageAnswer {
    pub id: Uuid,
    /// Served by the query API.
    #[schema(
        example = "/v1/media/images/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg"
    )]
    pub url: String,
    #[schema(example = "image/jpeg")]
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub cover: bool,
    /// True until its thumbnails are made.
    pub processing: bool,
}

/// A product's stock after a receipt.
#[derive(ToSchema)]
pub struct StockAnswer {
    pub product_id: Uuid,
    #[schema(example = 5)]
    pub on_hand: i64,
    /// On hand less what open checkouts hold.
    #[schema(example = 5)]
    pub available: i64,
    #[schema(example = "812-41")]
    pub consistency_token: String,
}

/// One line of the cart as the command side keeps it (the query API prices it).
#[derive(ToSchema)]
pub struct CartLine {
    pub product_id: Uuid,
    #[schema(example = 2)]
    pub quantity: i64,
}

/// The cart after the change.
#[derive(ToSchema)]
pub struct CartAnswer {
    pub items: Vec<CartLine>,
    #[schema(example = "812-42")]
    pub consistency_token: String,
}

/// Where the orders go.
#[derive(ToSchema)]
pub struct ShippingAddressBody {
    #[schema(example = "Ani Lestari", min_length = 1)]
    pub recipient: String,
    #[schema(example = "081234567890")]
    pub phone: String,
    #[schema(example = "Jl. Merdeka 1")]
    pub address: String,
    #[schema(example = "Jakarta")]
    pub city: String,
    #[schema(example = "10110")]
    pub postal_code: String,
    /// ISO 3166 alpha-2; `ID` when empty or left out.
    #[schema(example = "ID")]
    pub country_code: Option<String>,
    /// The RajaOngkir location id (`GET /v1/shipping/destinations`) the shipments were quoted
    /// to; required when shipping is configured.
    #[schema(example = 12045, minimum = 1)]
    pub destination_id: Option<u32>,
}

/// new (default), used or refurbished.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Condition {
    New,
    Used,
    Refurbished,
}

/// One priced line of a placed order; amounts in rupiah.
#[derive(ToSchema)]
pub struct OrderLine {
    pub product_id: Uuid,
    #[schema(example = "KOPI-001")]
    pub sku: String,
    #[schema(example = "Kopi Gayo 250 g")]
    pub name: String,
    #[schema(example = 75000)]
    pub unit_price: i64,
    #[schema(example = 2)]
    pub quantity: i64,
    #[schema(example = 150000)]
    pub line_total: i64,
}

/// One order per seller; amounts in rupiah.
#[derive(ToSchema)]
pub struct PlacedOrder {
    pub id: Uuid,
    pub seller_id: Uuid,
    #[schema(example = "awaiting_payment")]
    pub status: String,
    pub lines: Vec<OrderLine>,
    #[schema(example = 150000)]
    pub subtotal: i64,
    #[schema(example = 0)]
    pub shipping_cost: i64,
    #[schema(example = 150000)]
    pub total: i64,
    #[schema(example = "IDR")]
    pub currency: String,
    /// Unpaid, the order is cancelled and its stock released after this.
    pub expires_at: DateTime<Utc>,
}

/// The Midtrans Snap transaction that pays every order of the checkout.
#[derive(ToSchema)]
pub struct Payment {
    pub id: Uuid,
    /// For Snap.js (`snap.pay(token)`).
    pub snap_token: String,
    /// The Snap payment page.
    #[schema(format = "uri")]
    pub redirect_url: String,
    #[schema(example = 150000)]
    pub gross_amount: i64,
    #[schema(example = "IDR")]
    pub currency: String,
}

/// A placed checkout: its orders and the payment to make.
#[derive(ToSchema)]
pub struct CheckoutAnswer {
    pub checkout_id: Uuid,
    pub orders: Vec<PlacedOrder>,
    /// The Snap payment of what the wallet does not pay; `null` when the wallet paid it all
    /// (the orders are then `paid` already).
    pub payment: Option<Payment>,
    /// Rupiah paid from the buyer's wallet (`pay_with_wallet`; 0 without it).
    #[schema(example = 0)]
    pub wallet_amount: i64,
    #[schema(example = "812-57")]
    pub consistency_token: String,
}

/// Midtrans' HTTP notification (the fields read; others are ignored). `signature_key` is
/// SHA-512 of `order_id + status_code + gross_amount + server key`.
#[derive(ToSchema)]
pub struct MidtransNotification {
    /// The payment id.
    pub order_id: String,
    #[schema(example = "200")]
    pub status_code: String,
    #[schema(example = "150000.00")]
    pub gross_amount: String,
    pub signature_key: String,
    pub transaction_id: Option<String>,
    #[schema(example = "settlement")]
    pub transaction_status: Option<String>,
    #[schema(example = "accept")]
    pub fraud_status: Option<String>,
    #[schema(example = "bank_transfer")]
    pub payment_type: Option<String>,
}

/// `GET /readyz`.
#[derive(ToSchema)]
pub struct Readiness {
    /// PostgreSQL answered.
    pub database: bool,
}
