//! How each aggregate's rejections map to HTTP: a broken rule about the request's content is
//! 422, a clash with the current state is 409, a missing thing is 404.

use pasar_domain::cart::CartError;
use pasar_domain::customer::CustomerError;
use pasar_domain::order::OrderError;
use pasar_domain::payment::PaymentError;
use pasar_domain::product::ProductError;
use pasar_domain::stock::StockError;
use serde_json::json;

use crate::error::ApiError;

impl From<CustomerError> for ApiError {
    fn from(e: CustomerError) -> Self {
        match e {
            CustomerError::SessionUnknown
            | CustomerError::SessionRevoked
            | CustomerError::SessionExpired => ApiError::Unauthorized(e.to_string()),
            CustomerError::NotRegistered | CustomerError::RegistrationAbandoned => {
                ApiError::NotFound(e.to_string())
            }
            CustomerError::InvalidFullName => {
                ApiError::Validation(vec![pasar_domain::FieldError::new(
                    "full_name",
                    e.to_string(),
                )])
            }
            CustomerError::InvalidEmail => {
                ApiError::Validation(vec![pasar_domain::FieldError::new("email", e.to_string())])
            }
            other => ApiError::conflict("Customer conflict", other),
        }
    }
}

impl From<ProductError> for ApiError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::Invalid(errors) => ApiError::Validation(errors),
            ProductError::NotListed => ApiError::NotFound("product not found".into()),
            other => ApiError::conflict("Product conflict", other),
        }
    }
}

impl From<StockError> for ApiError {
    fn from(e: StockError) -> Self {
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
}

impl From<CartError> for ApiError {
    fn from(e: CartError) -> Self {
        match e {
            CartError::CartIsEmpty => ApiError::rejected("Cart is empty", e),
            other => ApiError::rejected("Invalid cart change", other),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(e: OrderError) -> Self {
        match e {
            OrderError::NotPlaced => ApiError::NotFound("order not found".into()),
            OrderError::InvalidTransition { .. }
            | OrderError::AlreadyPlaced
            | OrderError::NotYetExpired => ApiError::conflict("Order state conflict", e),
            other => ApiError::rejected("Invalid order", other),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::NotInitiated => ApiError::NotFound("payment not found".into()),
            other => ApiError::conflict("Payment conflict", other),
        }
    }
}
