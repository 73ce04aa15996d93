//! The application layer: one module per use case, each a plain async function over
//! [`AppState`] that loads, decides with `pasar_domain`, and appends. Nothing here knows HTTP:
//! every use case answers a typed outcome or an [`AppError`], and the `http` layer alone turns
//! those into status codes.
//!
//! - [`claims`]: uniqueness claims that never leave orphans.
//! - [`exec`]: load → decide → append with optimistic concurrency and retries.
//! - [`accounts`], [`catalog`], [`cart`]: the user commands.
//! - [`checkout`]: the checkout workflow, its claim, attempts and recorded outcome.
//! - [`payments`]: recording a Midtrans notification.
//! - [`imports`]: CSV product imports, recorded and then worked through line by line.
//! - [`profile`], [`addresses`]: the customer's own profile, password and avatar, and their
//!   address book (which checkout reads for `address_id`).
//! - [`wallet`]: the buyer's wallet: top-ups, credits, a checkout's debit and its return.

pub mod access;
pub mod accounts;
pub mod addresses;
pub mod admin;
pub mod cart;
pub mod catalog;
pub mod categories;
pub mod checkout;
pub mod claims;
pub mod exec;
#[cfg(test)]
mod exec_tests;
pub mod first_admin;
pub mod idempotency;
pub mod images;
pub mod imports;
pub mod late_settlement;
pub mod orders;
pub mod payments;
pub mod profile;
pub mod reads;
pub mod refunds;
pub mod reviews;
pub mod sellers;
pub mod serial;
pub mod shipping;
pub mod stream;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
pub mod wallet;
pub mod wishlist;

use std::sync::Arc;

use pasar_domain::FieldError;
use pasar_domain::address_book::AddressBookError;
use pasar_domain::cart::CartError;
use pasar_domain::category::CategoryError;
use pasar_domain::customer::CustomerError;
use pasar_domain::import::ImportError;
use pasar_domain::order::OrderError;
use pasar_domain::payment::PaymentError;
use pasar_domain::product::ProductError;
use pasar_domain::review::ReviewError;
use pasar_domain::stock::StockError;
use pasar_domain::wallet::WalletError;
use pasar_domain::wishlist::WishlistError;
use pasar_events::types::{CheckoutRejection, Role};
use pasar_events::{EventStore, ExpectedVersion, StoreError};

use uuid::Uuid;

use crate::config::Config;
use crate::midtrans::Midtrans;

/// What the use cases depend on. Built once by `server::run`; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn EventStore>,
    pub midtrans: Midtrans,
    /// The RajaOngkir client, when shipping is configured (`config.shipping`).
    pub shipping: Option<crate::rajaongkir::RajaOngkir>,
    pub pool: deadpool_postgres::Pool,
    /// Checks access tokens for the `AuthUser` extractor.
    pub tokens: Arc<pasar_service::auth::TokenVerifier>,
    /// This instance's Prometheus metrics (`/metrics`).
    pub metrics: pasar_service::metrics::Registry,
    /// Password hashing, bounded to one argon2id per core.
    pub passwords: crate::passwords::Passwords,
    /// Failed-login throttling (per instance).
    pub login_throttle: Arc<crate::throttle::LoginThrottle>,
    /// The object store product images and thumbnails are written to.
    pub media: crate::media::Media,
    /// Suspended accounts and changed roles, checked with every token.
    pub access: Arc<pasar_service::access::AccessList>,
}

/// Who issues a command (the authenticated caller, as the http layer found it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub role: Role,
}

impl Actor {
    /// Metadata for events this actor's request causes.
    pub fn metadata(&self) -> pasar_events::Metadata {
        pasar_events::Metadata {
            correlation_id: Some(Uuid::now_v7()),
            actor_id: Some(self.id),
            ..pasar_events::Metadata::default()
        }
    }
}

/// How a use case failed. Keep "a rule refused it" apart from "we could not record it".
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A business rule refused the command; retrying the same command cannot help.
    #[error("refused: {0}")]
    Rejected(Rule),
    /// Another writer kept winning the race for this stream, through every retry.
    #[error("stream {stream} changed concurrently (expected {expected:?}, found {actual})")]
    Conflict {
        stream: String,
        expected: ExpectedVersion,
        actual: i64,
    },
    /// A dependency is down or failed; retry later.
    #[error("{dependency:?} unavailable: {detail}")]
    Unavailable {
        dependency: Dependency,
        detail: String,
    },
    /// RajaOngkir could not quote (down, rate-limited, an unreadable answer) or refused the
    /// request; nothing was changed.
    #[error("shipping: {0:?}")]
    Shipping(crate::rajaongkir::ShippingError),
    /// A bug or broken invariant; the outcome could not be recorded.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// The same error for another waiter (an internal error's chain becomes its text).
    pub fn duplicate(&self) -> AppError {
        match self {
            AppError::Rejected(rule) => AppError::Rejected(rule.clone()),
            AppError::Conflict {
                stream,
                expected,
                actual,
            } => AppError::Conflict {
                stream: stream.clone(),
                expected: *expected,
                actual: *actual,
            },
            AppError::Unavailable { dependency, detail } => AppError::Unavailable {
                dependency: *dependency,
                detail: detail.clone(),
            },
            AppError::Shipping(e) => AppError::Shipping(e.clone()),
            AppError::Internal(e) => AppError::Internal(anyhow::anyhow!("{e:#}")),
        }
    }
}

/// What a use case depends on outside this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dependency {
    EventStore,
    /// Our own PostgreSQL bookkeeping (open checkouts).
    Database,
    PaymentProvider,
    /// The object store product images are written to.
    MediaStore,
}

/// The rule that refused a command.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rule {
    #[error(transparent)]
    Customer(#[from] CustomerError),
    #[error(transparent)]
    Product(#[from] ProductError),
    #[error(transparent)]
    Stock(#[from] StockError),
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error(transparent)]
    Category(#[from] CategoryError),
    #[error("only an admin may do this")]
    AdminOnly,
    #[error("an admin may not suspend, reinstate or change the role of their own account")]
    OwnAccount,
    #[error("category_id must name an existing, active category")]
    CategoryNotUsable,
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("checkout refused: {0:?}")]
    Checkout(CheckoutRejection),
    #[error("fields are invalid")]
    Invalid(Vec<FieldError>),
    #[error("an account with this email exists")]
    EmailTaken,
    #[error("another product has this SKU")]
    SkuTaken,
    #[error("no such product")]
    ProductNotFound,
    #[error("only the product's seller or an admin may do this")]
    NotProductOwner,
    #[error("the product is discontinued")]
    ProductDiscontinued,
    #[error("only this order's seller, buyer or an admin may do this, as the move requires")]
    NotOrderParty,
    #[error("the order was paid meanwhile; it can no longer be cancelled by its buyer")]
    PaidMeanwhile,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("refresh token was already used; the session is revoked")]
    RefreshTokenReused,
    #[error("this idempotency key was used with a different request")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is still running")]
    InProgress,
    #[error("no payment with this order id")]
    UnknownPayment,
    #[error("the notification's signature is invalid")]
    BadSignature,
    #[error("{0}")]
    Shipping(shipping::ShippingRefusal),
    #[error(transparent)]
    Image(#[from] crate::media::inspect::ImageRefusal),
    #[error(transparent)]
    AddressBook(#[from] AddressBookError),
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Review(#[from] ReviewError),
    #[error(transparent)]
    Wishlist(#[from] WishlistError),
    #[error("only a buyer may do this")]
    NotABuyer,
    #[error("only a buyer whose order of this product was delivered may review it")]
    NotReceived,
}

macro_rules! rejected_from {
    ($($error:ty),*) => {$(
        impl From<$error> for AppError {
            fn from(e: $error) -> Self {
                AppError::Rejected(Rule::from(e))
            }
        }
    )*};
}
rejected_from!(
    CustomerError,
    ProductError,
    StockError,
    CartError,
    OrderError,
    PaymentError,
    CategoryError,
    ImportError,
    AddressBookError,
    WalletError,
    ReviewError,
    WishlistError
);

impl From<Rule> for AppError {
    fn from(rule: Rule) -> Self {
        AppError::Rejected(rule)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict {
                stream,
                expected,
                actual,
            } => AppError::Conflict {
                stream,
                expected,
                actual,
            },
            StoreError::Unavailable(detail) => AppError::Unavailable {
                dependency: Dependency::EventStore,
                detail,
            },
            other => AppError::Internal(other.into()),
        }
    }
}

impl AppError {
    /// The rule, when a rule refused the command.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            AppError::Rejected(rule) => Some(rule),
            _ => None,
        }
    }
}
