//! HTTP notifications (reference §7, §8): the body, its signature and its confirmation.
//!
//! The signature covers only `order_id`, `status_code` and `gross_amount`; `transaction_status`
//! and `fraud_status` are not signed, so anyone who once saw a genuine notification can replay
//! it with a different status. [`Midtrans::verify_notification`] therefore acts on the status
//! API's fields, never on the body's.

use serde::Deserialize;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::status::{RawLookup, TransactionState, amount_hundredths};
use super::{FraudStatus, Midtrans, MidtransError, TransactionStatus};

/// The notification fields this client reads; unknown fields are ignored (Midtrans adds some
/// over time). Only the first four are covered by the signature.
#[derive(Clone, Debug, Deserialize)]
pub struct SignedNotification {
    pub order_id: String,
    pub status_code: String,
    pub gross_amount: String,
    pub signature_key: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    /// Unsigned: a prompt to ask the status API, not a fact.
    #[serde(default)]
    pub transaction_status: Option<String>,
    /// Unsigned, like `transaction_status`.
    #[serde(default)]
    pub fraud_status: Option<String>,
    #[serde(default)]
    pub payment_type: Option<String>,
}

impl SignedNotification {
    /// Parses a notification body. Fails (answer 400) when a signed field is missing.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// Constant-time check of `signature_key` against the server key.
    pub fn signature_matches(&self, server_key: &str) -> bool {
        signature_matches(
            &self.signature_key,
            &self.order_id,
            &self.status_code,
            &self.gross_amount,
            server_key,
        )
    }

    /// The body's own fields as a status, for when status verification is turned off.
    fn unconfirmed(&self) -> Result<TransactionStatus, VerifyError> {
        let state = self
            .transaction_status
            .as_deref()
            .ok_or(VerifyError::MissingField("transaction_status"))?;
        Ok(TransactionStatus {
            order_id: self.order_id.clone(),
            transaction_id: self.transaction_id.clone().unwrap_or_default(),
            transaction_status: TransactionState::parse(state),
            fraud_status: self.fraud_status.as_deref().map(FraudStatus::parse),
            status_code: self.status_code.clone(),
            gross_amount: self.gross_amount.clone(),
            payment_type: self.payment_type.clone(),
            refund_amount: None,
            refund_confirmed_at: None,
        })
    }
}

/// Why a notification cannot be acted on. [`VerifyError::BadSignature`] means "not from
/// Midtrans" (answer 403, never act); every other variant means "not confirmed yet": answer 503
/// so Midtrans retries (§8.3: 4 retries over about 5 hours) and record nothing.
///
/// `Display` is generic and client-safe; `Debug` (and the error source) has the detail for logs.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the notification's signature does not match")]
    BadSignature,
    /// The status API could not be asked (unreachable, 401, 5xx, unreadable answer).
    #[error("the payment could not be confirmed with the payment provider")]
    Unavailable(#[source] MidtransError),
    /// The status API does not know the transaction (404).
    #[error("the payment provider does not know this payment")]
    UnknownTransaction,
    /// A field needed to act is missing (from the body when verification is off).
    #[error("the payment status lacks a required field")]
    MissingField(&'static str),
    #[error("the payment provider's status is for another order")]
    OrderIdMismatch { notified: String, confirmed: String },
    #[error("the payment provider's status has another amount")]
    GrossAmountMismatch { notified: String, confirmed: String },
}

impl VerifyError {
    /// Whether Midtrans should send the notification again (answer 503), as opposed to a
    /// forged or corrupted notification (answer 403).
    pub fn should_retry(&self) -> bool {
        !matches!(self, VerifyError::BadSignature)
    }
}

impl Midtrans {
    /// Checks the signature in constant time, then, unless `MIDTRANS_VERIFY_STATUS` is off,
    /// confirms with `GET /v2/{order_id}/status` and returns **the status API's** fields: act on
    /// the result's `transaction_status` / `fraud_status` / [`TransactionStatus::outcome`], never
    /// on the body's. The confirmed status must name the same order and amount.
    pub async fn verify_notification(
        &self,
        notification: &SignedNotification,
    ) -> Result<TransactionStatus, VerifyError> {
        if !notification.signature_matches(self.server_key()) {
            return Err(VerifyError::BadSignature);
        }
        if !self.verifies_with_status_api() {
            return notification.unconfirmed();
        }
        self.confirm_with_status_api(notification).await
    }

    /// The status API part of [`Midtrans::verify_notification`], whatever the configuration.
    pub async fn confirm_with_status_api(
        &self,
        notification: &SignedNotification,
    ) -> Result<TransactionStatus, VerifyError> {
        let confirmed = match self.fetch_status_body(&notification.order_id).await {
            Ok(RawLookup::Found(body)) => {
                TransactionStatus::from_body(&body).map_err(VerifyError::MissingField)?
            }
            Ok(RawLookup::NotFound) => return Err(VerifyError::UnknownTransaction),
            Err(e) => return Err(VerifyError::Unavailable(e)),
        };
        if confirmed.order_id != notification.order_id {
            return Err(VerifyError::OrderIdMismatch {
                notified: notification.order_id.clone(),
                confirmed: confirmed.order_id,
            });
        }
        let notified = amount_hundredths(&notification.gross_amount);
        if notified.is_none() || notified != confirmed.gross_amount_hundredths() {
            return Err(VerifyError::GrossAmountMismatch {
                notified: notification.gross_amount.clone(),
                confirmed: confirmed.gross_amount,
            });
        }
        Ok(confirmed)
    }
}

/// `hex(SHA512(order_id + status_code + gross_amount + server_key))` (§7).
pub fn signature(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
) -> String {
    let mut hasher = Sha512::new();
    for part in [order_id, status_code, gross_amount, server_key] {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Compares a received `signature_key` with the expected one in constant time.
pub fn signature_matches(
    received: &str,
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
) -> bool {
    let expected = signature(order_id, status_code, gross_amount, server_key);
    let received = received.to_ascii_lowercase();
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "SB-Mid-server-TEST-KEY-123";

    #[test]
    fn signatures_match_the_reference_test_vectors() {
        assert_eq!(
            signature("ORDER-101", "200", "10000.00", KEY),
            "ab095c7839e87e58adb72531ed47dd082c3f2b36795024c6f0e96a15b9f8d3c445309b7160d1cc037ca12010bee4a2ce09d61dd9f54bd0ee7d233568ad6956d7"
        );
        assert_eq!(
            signature("ORDER-101", "201", "10000.00", KEY),
            "9faa407fdd85b82165116d9644a37838a6cf6b4c9c1e90a753e4995afb194679a029351dbdaedb4983308cca1ab0e603c81d94d9486f5770f9b416df7029ce6c"
        );
        assert_eq!(
            signature("ORDER-101", "200", "10000", KEY),
            "e661ab15062841f016ff986f7f118bd9ee8941b406ff02de81f22313ea54b662eadda76dbc1f0a88157c7c37c0c8c781fbc9069504a4e04726e90cd72f1690a5"
        );
    }

    #[test]
    fn a_tampered_field_or_wrong_key_fails_the_check() {
        let good = signature("ORDER-101", "200", "10000.00", KEY);
        let check = |received: &str, gross: &str, key: &str| {
            signature_matches(received, "ORDER-101", "200", gross, key)
        };

        assert!(check(&good, "10000.00", KEY));
        assert!(check(&good.to_uppercase(), "10000.00", KEY));
        assert!(!check(&good, "99999.00", KEY));
        assert!(!check(&good, "10000.00", "other-key"));
        assert!(!check("", "10000.00", KEY));
    }

    #[test]
    fn without_status_verification_a_body_without_a_status_cannot_be_acted_on() {
        let body = serde_json::json!({
            "order_id": "ORDER-101", "status_code": "200", "gross_amount": "10000.00",
            "signature_key": signature("ORDER-101", "200", "10000.00", KEY),
        });
        let notification = SignedNotification::parse(body.to_string().as_bytes()).unwrap();

        assert!(notification.signature_matches(KEY));
        assert!(matches!(
            notification.unconfirmed(),
            Err(VerifyError::MissingField("transaction_status"))
        ));
    }
}
