//! How the application layer's errors become HTTP: a broken rule about the request's content
//! is 422, a clash with the current state (a rule, or a race lost through every retry) is 409,
//! a missing thing is 404, a dependency down is 503, anything else 500.

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
use pasar_domain::wishlist::WishlistError;
use serde_json::json;

use axum::http::StatusCode;

use crate::app::{AppError, Rule};
use crate::error::ApiError;
use crate::media::inspect::ImageRefusal;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Rejected(rule) => rule.into(),
            AppError::Conflict { .. } => ApiError::conflict(
                "Concurrent update",
                "the resource kept changing while the command ran; retry",
            ),
            AppError::Unavailable { dependency, detail } => {
                ApiError::Unavailable(format!("{dependency:?}: {detail}"))
            }
            AppError::Shipping(e) => super::shipping::provider_problem(&e),
            AppError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<Rule> for ApiError {
    fn from(rule: Rule) -> Self {
        match rule {
            Rule::Customer(e) => customer(e),
            Rule::Product(e) => product(e),
            Rule::Stock(e) => stock(e),
            Rule::Cart(e) => cart(e),
            Rule::Order(e) => order(e),
            Rule::Payment(PaymentError::NotInitiated) => {
                ApiError::NotFound("payment not found".into())
            }
            Rule::Payment(e) => ApiError::conflict("Payment conflict", e),
            Rule::Category(e) => category(e),
            Rule::AdminOnly => ApiError::Forbidden(rule.to_string()),
            Rule::OwnAccount => ApiError::rejected("Not on your own account", rule),
            Rule::CategoryNotUsable => ApiError::Validation(vec![FieldError::new(
                "category_id",
                "must name an existing, active category",
            )]),
            Rule::Import(e) => import(e),
            Rule::Checkout(reason) => super::checkout::rejection_problem(&reason),
            Rule::Invalid(errors) => ApiError::Validation(errors),
            Rule::EmailTaken => ApiError::conflict(
                "Email already registered",
                "an account with this email exists",
            ),
            Rule::SkuTaken => {
                ApiError::conflict("SKU already in use", "another product has this SKU")
            }
            Rule::ProductNotFound => ApiError::NotFound("product not found".into()),
            Rule::NotProductOwner => ApiError::Forbidden(rule.to_string()),
            Rule::ProductDiscontinued => ApiError::rejected("Product unavailable", rule),
            Rule::NotOrderParty => ApiError::Forbidden(rule.to_string()),
            Rule::PaidMeanwhile => ApiError::conflict("Order state conflict", rule),
            Rule::InvalidCredentials | Rule::InvalidRefreshToken | Rule::RefreshTokenReused => {
                ApiError::Unauthorized(rule.to_string())
            }
            Rule::IdempotencyKeyReused => ApiError::rejected(
                "Idempotency key reused",
                "this Idempotency-Key was used with a different request body",
            ),
            Rule::InProgress => ApiError::conflict(
                "Checkout in progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            ),
            Rule::UnknownPayment => ApiError::NotFound("unknown order_id".into()),
            Rule::BadSignature => ApiError::Forbidden("invalid signature_key".into()),
            Rule::Shipping(refusal) => super::shipping::refusal_problem(&refusal),
            Rule::Image(refusal) => image(&refusal),
            Rule::AddressBook(e) => address_book(e),
            Rule::Wallet(e) => super::wallet::problem(e),
            Rule::Review(e) => review(e),
            Rule::Wishlist(e @ WishlistError::Full { .. }) => {
                ApiError::rejected("Wishlist full", e)
            }
            Rule::NotABuyer | Rule::NotReceived => ApiError::Forbidden(rule.to_string()),
        }
    }
}

fn category(e: CategoryError) -> ApiError {
    match e {
        CategoryError::NotFound => ApiError::NotFound("category not found".into()),
        CategoryError::SlugTaken { .. } => ApiError::conflict("Category slug taken", e),
        CategoryError::ParentNotFound | CategoryError::ParentRetired => {
            ApiError::Validation(vec![FieldError::new("parent_id", e.to_string())])
        }
        CategoryError::NameWithoutSlug => {
            ApiError::Validation(vec![FieldError::new("name", e.to_string())])
        }
        CategoryError::Retired
        | CategoryError::Cycle
        | CategoryError::TooDeep { .. }
        | CategoryError::TooMany { .. }
        | CategoryError::HasActiveChildren
        | CategoryError::IdTaken => ApiError::rejected("Category change refused", e),
    }
}

fn review(e: ReviewError) -> ApiError {
    match e {
        ReviewError::NotFound => ApiError::NotFound("review not found".into()),
        ReviewError::NotAuthor | ReviewError::OwnReview => ApiError::Forbidden(e.to_string()),
        ReviewError::AlreadyReviewed => ApiError::conflict("Already reviewed", e),
        ReviewError::EditWindowClosed | ReviewError::NotPublished => {
            ApiError::conflict("Review state conflict", e)
        }
    }
}

fn customer(e: CustomerError) -> ApiError {
    match e {
        CustomerError::SessionUnknown
        | CustomerError::SessionRevoked
        | CustomerError::SessionExpired => ApiError::Unauthorized(e.to_string()),
        CustomerError::NotRegistered | CustomerError::RegistrationAbandoned => {
            ApiError::NotFound(e.to_string())
        }
        CustomerError::InvalidFullName => {
            ApiError::Validation(vec![FieldError::new("full_name", e.to_string())])
        }
        CustomerError::InvalidEmail => {
            ApiError::Validation(vec![FieldError::new("email", e.to_string())])
        }
        CustomerError::InvalidStoreName => {
            ApiError::Validation(vec![FieldError::new("store_name", e.to_string())])
        }
        CustomerError::InvalidStoreDescription => {
            ApiError::Validation(vec![FieldError::new("description", e.to_string())])
        }
        CustomerError::NotASeller => ApiError::Forbidden(e.to_string()),
        CustomerError::Suspended => ApiError::Forbidden(e.to_string()),
        CustomerError::InvalidSuspensionReason => {
            ApiError::Validation(vec![FieldError::new("reason", e.to_string())])
        }
        other => ApiError::conflict("Customer conflict", other),
    }
}

/// An upload that is not an image we store: 415 not an image of ours, 422 a broken or
/// oversized one, 413 a file over the size limit.
fn image(refusal: &ImageRefusal) -> ApiError {
    let (status, title) = match refusal {
        ImageRefusal::Unsupported { .. } => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "Unsupported image type")
        }
        ImageRefusal::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "Invalid image"),
        ImageRefusal::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "File too large"),
    };
    ApiError::Problem {
        status,
        title,
        detail: refusal.to_string(),
        extra: None,
    }
}

fn address_book(e: AddressBookError) -> ApiError {
    match e {
        AddressBookError::NotFound => ApiError::NotFound(e.to_string()),
        AddressBookError::Full { .. } => ApiError::rejected("Address book full", e),
        AddressBookError::DefaultRequired => {
            ApiError::Validation(vec![FieldError::new("is_default", e.to_string())])
        }
        AddressBookError::Invalid(errors) => {
            ApiError::Validation(super::addresses::unprefixed(errors))
        }
    }
}

fn product(e: ProductError) -> ApiError {
    match e {
        ProductError::Invalid(errors) => ApiError::Validation(errors),
        ProductError::NotListed => ApiError::NotFound("product not found".into()),
        ProductError::ImageNotFound => ApiError::NotFound("the product has no such image".into()),
        e @ ProductError::TooManyImages { .. } => ApiError::conflict("Too many images", e),
        other => ApiError::conflict("Product conflict", other),
    }
}

fn stock(e: StockError) -> ApiError {
    match e {
        StockError::InsufficientStock {
            requested,
            available,
        } => ApiError::Conflict {
            title: "Insufficient stock",
            detail: e.to_string(),
            extra: Some(json!({ "requested": requested, "available": available })),
        },
        StockError::AdjustmentBelowReserved { .. } => ApiError::conflict("Stock conflict", e),
        other => ApiError::rejected("Invalid stock change", other),
    }
}

fn cart(e: CartError) -> ApiError {
    match e {
        CartError::CartIsEmpty => ApiError::rejected("Cart is empty", e),
        other => ApiError::rejected("Invalid cart change", other),
    }
}

fn order(e: OrderError) -> ApiError {
    match e {
        OrderError::NotPlaced => ApiError::NotFound("order not found".into()),
        // Names the state the order is in, so a client can tell why the move is refused.
        OrderError::InvalidTransition { from, to } => ApiError::Conflict {
            title: "Order state conflict",
            detail: e.to_string(),
            extra: Some(
                serde_json::json!({ "order_status": from.as_str(), "wanted": to.as_str() }),
            ),
        },
        OrderError::AlreadyPlaced | OrderError::NotYetExpired => {
            ApiError::conflict("Order state conflict", e)
        }
        other => ApiError::rejected("Invalid order", other),
    }
}

fn import(e: ImportError) -> ApiError {
    match e {
        ImportError::NoRows | ImportError::TooManyRows { .. } => {
            ApiError::rejected("Malformed file", e)
        }
        ImportError::NotASellerOrAdmin => ApiError::Forbidden(e.to_string()),
        ImportError::NotRequested => ApiError::NotFound("import not found".into()),
        other => ApiError::conflict("Import conflict", other),
    }
}
