//! `GET /v2/{id}/status` (reference §4) as typed fields, and what each status means for the
//! shop (§6.3). Status values are compared case-insensitively (one documented sample is upper
//! case); values Midtrans may add later parse as `Other` and map to [`PaymentOutcome::Unknown`].

use chrono::{DateTime, Utc};
use pasar_domain::payment::Notification;
use serde_json::Value;

use super::{Midtrans, MidtransError};

/// `transaction_status` (§6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransactionState {
    Pending,
    Authorize,
    Capture,
    Settlement,
    Deny,
    Cancel,
    Expire,
    Failure,
    Refund,
    PartialRefund,
    Chargeback,
    PartialChargeback,
    /// A value this client does not know, lower-cased.
    Other(String),
}

const STATES: [(&str, TransactionState); 12] = [
    ("pending", TransactionState::Pending),
    ("authorize", TransactionState::Authorize),
    ("capture", TransactionState::Capture),
    ("settlement", TransactionState::Settlement),
    ("deny", TransactionState::Deny),
    ("cancel", TransactionState::Cancel),
    ("expire", TransactionState::Expire),
    ("failure", TransactionState::Failure),
    ("refund", TransactionState::Refund),
    ("partial_refund", TransactionState::PartialRefund),
    ("chargeback", TransactionState::Chargeback),
    ("partial_chargeback", TransactionState::PartialChargeback),
];

impl TransactionState {
    pub fn parse(raw: &str) -> Self {
        let lower = raw.trim().to_ascii_lowercase();
        STATES
            .iter()
            .find(|(name, _)| *name == lower)
            .map_or(TransactionState::Other(lower), |(_, state)| state.clone())
    }

    /// The Midtrans spelling (lower case).
    pub fn as_str(&self) -> &str {
        match self {
            TransactionState::Other(raw) => raw,
            known => STATES
                .iter()
                .find(|(_, state)| state == known)
                .map_or("", |(name, _)| name),
        }
    }
}

/// `fraud_status` (§6.2). Absent means "not evaluated" and is treated like `Accept`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FraudStatus {
    Accept,
    Challenge,
    Deny,
    Other(String),
}

impl FraudStatus {
    pub fn parse(raw: &str) -> Self {
        match raw.trim().to_ascii_lowercase().as_str() {
            "accept" => FraudStatus::Accept,
            "challenge" => FraudStatus::Challenge,
            "deny" => FraudStatus::Deny,
            other => FraudStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FraudStatus::Accept => "accept",
            FraudStatus::Challenge => "challenge",
            FraudStatus::Deny => "deny",
            FraudStatus::Other(raw) => raw,
        }
    }
}

/// What the shop should make of a transaction (§6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// `pending`: keep the stock reserved until the order expires.
    AwaitingPayment,
    /// `authorize` with fraud accepted (card pre-authorisation; not used with our Snap setup).
    Authorized,
    /// `settlement`, or `capture` with fraud accepted: fulfil.
    Paid,
    /// `capture`/`authorize`/`settlement` with fraud `challenge`: hold; approve or deny.
    InReview,
    /// `deny`, `failure`, or a fraud `deny`: release stock; after `Paid` it is a reversal.
    Failed,
    Cancelled,
    Expired,
    Refunded,
    /// The order stays paid.
    PartiallyRefunded,
    /// `chargeback` or `partial_chargeback`: manual handling.
    ChargedBack,
    /// A status or fraud value this client does not know: do not act on it.
    Unknown,
}

/// The status API's answer, reduced to the fields the shop acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionStatus {
    pub order_id: String,
    pub transaction_id: String,
    pub transaction_status: TransactionState,
    pub fraud_status: Option<FraudStatus>,
    /// As sent, e.g. `"200"`; mirrors the state (201 pending, 202 deny, 407 expire).
    pub status_code: String,
    /// As sent, e.g. `"10000.00"`.
    pub gross_amount: String,
    pub payment_type: Option<String>,
    /// Refunds: everything refunded so far (`"50000.00"`), and when the bank confirmed the
    /// latest refund (`refunds[-1].bank_confirmed_at`).
    pub refund_amount: Option<String>,
    pub refund_confirmed_at: Option<String>,
}

impl TransactionStatus {
    /// Reads a status (or notification) body; `Err` names the first missing required field.
    pub fn from_body(body: &Value) -> Result<Self, &'static str> {
        let text = |field: &'static str| body[field].as_str().map(str::to_owned).ok_or(field);
        Ok(TransactionStatus {
            order_id: text("order_id")?,
            transaction_id: text("transaction_id")?,
            transaction_status: TransactionState::parse(&text("transaction_status")?),
            fraud_status: body["fraud_status"].as_str().map(FraudStatus::parse),
            status_code: text("status_code")?,
            gross_amount: text("gross_amount")?,
            payment_type: body["payment_type"].as_str().map(str::to_owned),
            refund_amount: body["refund_amount"].as_str().map(str::to_owned),
            refund_confirmed_at: body["refunds"]
                .as_array()
                .and_then(|refunds| refunds.last())
                .and_then(|last| last["bank_confirmed_at"].as_str())
                .map(str::to_owned),
        })
    }

    /// §6.3: success is `settlement`, or `capture` for cards, and only with fraud accepted.
    pub fn outcome(&self) -> PaymentOutcome {
        use PaymentOutcome as O;
        use TransactionState as S;
        let fraud = self.fraud_status.clone().unwrap_or(FraudStatus::Accept);
        match (&self.transaction_status, fraud) {
            (_, FraudStatus::Other(_)) | (S::Other(_), _) => O::Unknown,
            (S::Pending, _) => O::AwaitingPayment,
            (S::Capture | S::Settlement | S::Authorize, FraudStatus::Challenge) => O::InReview,
            (S::Capture | S::Settlement | S::Authorize, FraudStatus::Deny) => O::Failed,
            (S::Deny | S::Failure, _) => O::Failed,
            (S::Capture | S::Settlement, FraudStatus::Accept) => O::Paid,
            (S::Authorize, FraudStatus::Accept) => O::Authorized,
            (S::Cancel, _) => O::Cancelled,
            (S::Expire, _) => O::Expired,
            (S::Refund, _) => O::Refunded,
            (S::PartialRefund, _) => O::PartiallyRefunded,
            (S::Chargeback | S::PartialChargeback, _) => O::ChargedBack,
        }
    }

    /// The payment aggregate's command input, made of these (confirmed) fields only.
    pub fn to_notification(&self, now: DateTime<Utc>) -> Notification {
        Notification {
            transaction_id: self.transaction_id.clone(),
            transaction_status: self.transaction_status.as_str().to_owned(),
            fraud_status: self.fraud_status.as_ref().map(|f| f.as_str().to_owned()),
            status_code: self.status_code.clone(),
            gross_amount: self.gross_amount.clone(),
            payment_type: self.payment_type.clone(),
            refund_amount: self.refund_amount.clone(),
            refund_confirmed_at: self.refund_confirmed_at.clone(),
            now,
        }
    }

    /// `gross_amount` in hundredths of a rupiah (`"10000.00"` → 1_000_000), if well formed.
    pub fn gross_amount_hundredths(&self) -> Option<i64> {
        amount_hundredths(&self.gross_amount)
    }
}

/// Parses `"N"`, `"N.D"` or `"N.DD"` into hundredths, so `"10000.00"` equals `"10000"`.
pub fn amount_hundredths(raw: &str) -> Option<i64> {
    let (whole, fraction) = raw.trim().split_once('.').unwrap_or((raw.trim(), ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
        return None;
    }
    let cents = format!("{fraction:0<2}").parse::<i64>().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

/// The answer of [`Midtrans::fetch_status`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusLookup {
    Found(Box<TransactionStatus>),
    /// 404: no such transaction, or (Snap, §4.2) the customer has not picked a payment method.
    NotFound,
}

/// A status answer before its fields are read.
pub(super) enum RawLookup {
    Found(Value),
    NotFound,
}

impl Midtrans {
    /// `GET /v2/{id}/status`; `id` is an order id or a transaction id.
    ///
    /// An answer with a `transaction_status` is `Found` whatever its body `status_code` (407 for
    /// an expired transaction is normal); 404 is `NotFound`; anything else, including 401 and
    /// 5xx, is an error, and so is a found status missing a required field.
    pub async fn fetch_status(&self, id: &str) -> Result<StatusLookup, MidtransError> {
        match self.fetch_status_body(id).await? {
            RawLookup::NotFound => Ok(StatusLookup::NotFound),
            RawLookup::Found(body) => TransactionStatus::from_body(&body)
                .map(|status| StatusLookup::Found(Box::new(status)))
                .map_err(|field| MidtransError::InvalidResponse {
                    detail: format!("status answer without {field}"),
                }),
        }
    }

    pub(super) async fn fetch_status_body(&self, id: &str) -> Result<RawLookup, MidtransError> {
        let reply = self.core(reqwest::Method::GET, id, "status", None).await?;
        if reply.http < 400 && !reply.body["transaction_status"].is_null() {
            return Ok(RawLookup::Found(reply.body));
        }
        match reply.code() {
            404 => Ok(RawLookup::NotFound),
            _ => Err(reply.refused()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn status(transaction_status: &str, fraud: Option<&str>) -> TransactionStatus {
        let mut body = json!({
            "order_id": "ORDER-1", "transaction_id": "t-1", "status_code": "200",
            "gross_amount": "10000.00", "transaction_status": transaction_status,
        });
        if let Some(fraud) = fraud {
            body["fraud_status"] = json!(fraud);
        }
        TransactionStatus::from_body(&body).unwrap()
    }

    #[test]
    fn every_documented_status_maps_as_the_reference_recommends() {
        use PaymentOutcome as O;
        let cases = [
            ("pending", None, O::AwaitingPayment),
            ("PENDING", Some("accept"), O::AwaitingPayment),
            ("capture", Some("accept"), O::Paid),
            ("capture", Some("challenge"), O::InReview),
            ("capture", Some("deny"), O::Failed),
            ("settlement", Some("accept"), O::Paid),
            ("settlement", None, O::Paid),
            ("authorize", Some("accept"), O::Authorized),
            ("deny", Some("accept"), O::Failed),
            ("cancel", None, O::Cancelled),
            ("expire", Some("accept"), O::Expired),
            ("failure", None, O::Failed),
            ("refund", Some("accept"), O::Refunded),
            ("partial_refund", Some("accept"), O::PartiallyRefunded),
            ("chargeback", None, O::ChargedBack),
            ("partial_chargeback", None, O::ChargedBack),
            ("something_new", None, O::Unknown),
            ("settlement", Some("maybe"), O::Unknown),
        ];
        for (transaction_status, fraud, expected) in cases {
            let s = status(transaction_status, fraud);
            assert_eq!(s.outcome(), expected, "{transaction_status} / {fraud:?}");
        }
    }

    #[test]
    fn the_aggregate_gets_the_confirmed_fields_in_midtrans_spelling() {
        let now = Utc::now();

        let n = status("SETTLEMENT", Some("Accept")).to_notification(now);

        assert_eq!(
            (n.transaction_status.as_str(), n.fraud_status.as_deref()),
            ("settlement", Some("accept"))
        );
        assert_eq!(
            (n.gross_amount.as_str(), n.status_code.as_str()),
            ("10000.00", "200")
        );
        assert_eq!((n.transaction_id.as_str(), n.now), ("t-1", now));
    }

    #[test]
    fn states_round_trip_and_unknown_values_are_kept() {
        for (name, state) in STATES {
            assert_eq!(TransactionState::parse(name), state);
            assert_eq!(state.as_str(), name);
        }
        assert_eq!(TransactionState::parse("Nope").as_str(), "nope");
    }

    #[test]
    fn a_body_without_a_required_field_is_refused_by_name() {
        let body = json!({ "order_id": "ORDER-1", "transaction_id": "t", "status_code": "200",
                           "gross_amount": "1.00" });

        assert_eq!(
            TransactionStatus::from_body(&body),
            Err("transaction_status")
        );
    }

    #[test]
    fn amounts_compare_by_value_not_by_spelling() {
        assert_eq!(amount_hundredths("10000.00"), Some(1_000_000));
        assert_eq!(amount_hundredths("10000"), Some(1_000_000));
        assert_eq!(amount_hundredths("10000.5"), Some(1_000_050));
        for bad in ["", "1.000", "-1.00", "1,000.00", "abc", ".50"] {
            assert_eq!(amount_hundredths(bad), None, "{bad}");
        }
    }
}
