//! The client's error type. Its `Display` is safe to show a client (it never carries Midtrans'
//! text); `Debug` carries the upstream detail for logs. Neither ever contains the server key:
//! the key only lives in the pre-built `Authorization` header, which no error copies.

/// A Midtrans call that did not produce a usable answer.
///
/// Log it with `?error` (Debug) to keep the upstream detail; answer clients with
/// [`MidtransError::client_message`] (or `Display`, which is the same generic text).
#[derive(Debug, thiserror::Error)]
pub enum MidtransError {
    /// No HTTP answer: connection refused, timeout, TLS failure. Retrying later may help.
    #[error("the payment provider could not be reached")]
    Unreachable { detail: String },
    /// Midtrans answered with an error: HTTP status ≥ 400, or HTTP 200 with a body
    /// `status_code` ≥ 400 (reference §3.5). `status` is the effective code.
    #[error("the payment provider refused the request")]
    Refused { status: u16, detail: String },
    /// An answer that is not what the API documents (not JSON, a required field missing).
    #[error("the payment provider sent an answer we could not read")]
    InvalidResponse { detail: String },
}

impl MidtransError {
    /// The only text about this failure that may reach an API client.
    pub fn client_message(&self) -> &'static str {
        "The payment provider is unavailable. Please try again later."
    }

    /// The effective Midtrans status code of a refusal, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            MidtransError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A Snap create refused because the `order_id` was used before (§3.4, §9): an earlier
    /// attempt went through, but its token cannot be fetched again. Midtrans says this only in
    /// its message text, so this adapter is the one place that reads it.
    pub fn is_duplicate_order_id(&self) -> bool {
        matches!(self, MidtransError::Refused { status: 400, detail }
            if detail.contains("order_id has already been taken"))
    }

    /// Whether the same call may succeed later: no answer, 5xx, or 429. A 4xx refusal
    /// (bad request, bad key) needs a fix, not a retry.
    pub fn is_transient(&self) -> bool {
        match self {
            MidtransError::Unreachable { .. } | MidtransError::InvalidResponse { .. } => true,
            MidtransError::Refused { status, .. } => *status >= 500 || *status == 429,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_never_carries_the_upstream_text_but_debug_does() {
        let error = MidtransError::Refused {
            status: 400,
            detail: "transaction_details.order_id has already been taken".into(),
        };

        assert!(!error.to_string().contains("order_id"));
        assert!(!error.client_message().contains("order_id"));
        assert!(format!("{error:?}").contains("has already been taken"));
        assert!(!error.is_transient());
        assert_eq!(error.status(), Some(400));
    }
}
