//! The client's error type. `Display` and [`ShippingError::client_message`] are safe to show a
//! client: fixed text. `Debug` adds, for logs, the typed cause and our own description of what
//! happened (which call, the HTTP status, a timeout). Neither ever contains RajaOngkir's text
//! (its `meta.message` is only traced at debug level where the answer is read) nor the API key:
//! the key only lives in the request header, which no error copies.

use std::time::Duration;

/// Why RajaOngkir could not answer usefully right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnavailableCause {
    /// No answer within the configured timeout.
    Timeout,
    /// No connection (refused, DNS, TLS).
    Unreachable,
    /// An answer with HTTP (or `meta.code`) 5xx.
    ServerError(u16),
    /// HTTP 429: quota or rate limit used up.
    RateLimited,
    /// The API refused our key (400 "Invalid Api key", or 401): a configuration problem to
    /// alert on, not the buyer's fault.
    KeyRejected,
}

/// Why RajaOngkir refused the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// A location id it does not know (HTTP 404).
    UnknownLocation,
    /// A parameter it cannot use (HTTP 400/422, or refused here before any call: a blank
    /// search, zero weight, a malformed courier code).
    InvalidRequest,
}

/// A RajaOngkir call that produced no usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ShippingError {
    /// Try again later: timeouts, no connection, 5xx, 429 (with `Retry-After` when RajaOngkir
    /// gave one), or a rejected key. Maps to 503 (or 502) for the API client.
    #[error("shipping rates are unavailable right now")]
    Unavailable {
        cause: UnavailableCause,
        retry_after: Option<Duration>,
        detail: String,
    },
    /// The request itself was refused: retrying the same input will not help. Maps to 422.
    #[error("the shipping request was refused")]
    Rejected {
        reason: RejectReason,
        detail: String,
    },
    /// An answer that is not what the API documents (not JSON, a field missing or mistyped).
    #[error("the shipping provider sent an answer we could not read")]
    InvalidResponse { detail: String },
}

impl ShippingError {
    /// The only text about this failure that may reach an API client.
    pub fn client_message(&self) -> &'static str {
        match self {
            ShippingError::Rejected {
                reason: RejectReason::UnknownLocation,
                ..
            } => "The shipping origin or destination is not known to the courier service.",
            ShippingError::Rejected { .. } => "The shipping request is not valid.",
            _ => "Shipping rates are unavailable right now. Please try again later.",
        }
    }

    /// Whether the same call may succeed later (everything but [`ShippingError::Rejected`]).
    pub fn is_transient(&self) -> bool {
        !matches!(self, ShippingError::Rejected { .. })
    }

    /// How long RajaOngkir asked us to wait, if it said (HTTP 429 with `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ShippingError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn unavailable(cause: UnavailableCause, detail: impl Into<String>) -> Self {
        ShippingError::Unavailable {
            cause,
            retry_after: None,
            detail: detail.into(),
        }
    }

    pub(crate) fn rejected(reason: RejectReason, detail: impl Into<String>) -> Self {
        ShippingError::Rejected {
            reason,
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid_response(detail: impl Into<String>) -> Self {
        ShippingError::InvalidResponse {
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_fixed_text_and_debug_adds_the_cause_for_logs() {
        let error =
            ShippingError::rejected(RejectReason::InvalidRequest, "cost calculation: HTTP 422");

        assert_eq!(error.to_string(), "the shipping request was refused");
        assert!(!error.client_message().contains("422"));
        assert!(format!("{error:?}").contains("InvalidRequest"));
        assert!(format!("{error:?}").contains("cost calculation: HTTP 422"));
        assert!(!error.is_transient());
    }

    #[test]
    fn rate_limits_are_transient_and_keep_their_retry_after() {
        let error = ShippingError::Unavailable {
            cause: UnavailableCause::RateLimited,
            retry_after: Some(Duration::from_secs(30)),
            detail: "HTTP 429".into(),
        };

        assert!(error.is_transient());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
    }
}
