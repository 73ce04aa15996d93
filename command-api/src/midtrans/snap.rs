//! Snap: `POST {snap}/snap/v1/transactions` (reference §3) with an `expiry`, so the payment page
//! stops taking payments when the order's reservation runs out.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Midtrans, MidtransError};

/// Midtrans' own limit on item ids and names (§3.2).
const MAX_TEXT: usize = 50;

/// What Snap answers on success (§3.3); both values are opaque.
#[derive(Debug, Deserialize)]
pub struct SnapTransaction {
    pub token: String,
    pub redirect_url: String,
}

/// One `item_details` entry. Prices are integers; sum(price × quantity) must equal the gross amount.
pub struct Item {
    pub id: String,
    pub name: String,
    pub price: i64,
    pub quantity: i64,
}

/// When the payment window opens and how long it stays open (§3.2 `expiry`).
///
/// Midtrans counts in whole minutes, hours or days; the duration is sent in whole minutes rounded
/// **down** (so the page closes no later than the order), with a floor of one minute because a
/// shorter window is a validation error. A timeout under a minute therefore leaves the page open
/// up to a minute longer than the order: the expiry sweeper's `/expire` call closes it then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapExpiry {
    start: DateTime<Utc>,
    minutes: u64,
}

impl SnapExpiry {
    /// A window opening at `start` (typically when stock was reserved) and lasting `timeout`
    /// (the `PAYMENT_TIMEOUT_SECS` the order expires after).
    pub fn new(start: DateTime<Utc>, timeout: Duration) -> Self {
        SnapExpiry {
            start,
            minutes: (timeout.as_secs() / 60).max(1),
        }
    }

    /// When the payment page stops taking payments.
    pub fn closes_at(&self) -> DateTime<Utc> {
        let minutes = i64::try_from(self.minutes).unwrap_or(i64::MAX / 60);
        self.start + chrono::Duration::minutes(minutes)
    }

    /// Whether the page has closed at `now`.
    pub fn is_closed_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.closes_at()
    }

    /// The `expiry` object: `start_time` as `yyyy-MM-dd HH:mm:ss +0700` (Jakarta time, the
    /// documented example's offset), `unit` `minute`, `duration` in minutes.
    pub fn to_json(&self) -> Value {
        let jakarta = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
        let start = self.start.with_timezone(&jakarta);
        json!({
            "start_time": start.format("%Y-%m-%d %H:%M:%S %z").to_string(),
            "unit": "minute",
            "duration": self.minutes,
        })
    }
}

/// A Snap transaction to create. `order_id` must be unique per merchant (a second create with
/// the same id is refused with 400) and at most 50 characters of `[A-Za-z0-9-_~.]`.
pub struct SnapRequest<'a> {
    pub order_id: &'a str,
    pub gross_amount: i64,
    pub items: &'a [Item],
    /// `customer_details` as documented in §3.2, passed through.
    pub customer: Value,
    pub expiry: SnapExpiry,
}

impl SnapRequest<'_> {
    fn to_json(&self) -> Value {
        let mut body = body_without_expiry(
            self.order_id,
            self.gross_amount,
            self.items,
            self.customer.clone(),
        );
        body["expiry"] = self.expiry.to_json();
        body
    }
}

fn body_without_expiry(
    order_id: &str,
    gross_amount: i64,
    items: &[Item],
    customer: Value,
) -> Value {
    let item_details: Vec<_> = items
        .iter()
        .map(|i| {
            json!({
                "id": truncate(&i.id, MAX_TEXT),
                "name": truncate(&i.name, MAX_TEXT),
                "price": i.price,
                "quantity": i.quantity,
            })
        })
        .collect();
    json!({
        "transaction_details": { "order_id": order_id, "gross_amount": gross_amount },
        "item_details": item_details,
        "customer_details": customer,
    })
}

impl Midtrans {
    /// Creates a Snap transaction whose payment page closes at `request.expiry`.
    ///
    /// Fails with `Refused` for any error answer (400 validation or duplicate order id, 401 bad
    /// key, 5xx) and `Unreachable` without an answer; neither error's `Display` repeats
    /// Midtrans' text. Whether a transaction exists after `Unreachable` is unknown: retry with
    /// the same `order_id` (a 400 "already taken" then means the first call went through).
    pub async fn create_snap_transaction(
        &self,
        request: &SnapRequest<'_>,
    ) -> Result<SnapTransaction, MidtransError> {
        self.post_snap(&request.to_json()).await
    }

    /// Compatibility wrapper for callers not yet passing an expiry: sends **no** `expiry`, so
    /// Midtrans keeps the page payable for its default 24 h. Use
    /// [`Midtrans::create_snap_transaction`].
    pub async fn create_snap(
        &self,
        order_id: &str,
        gross_amount: i64,
        items: &[Item],
        customer: Value,
    ) -> Result<SnapTransaction, MidtransError> {
        self.post_snap(&body_without_expiry(
            order_id,
            gross_amount,
            items,
            customer,
        ))
        .await
    }

    async fn post_snap(&self, body: &Value) -> Result<SnapTransaction, MidtransError> {
        let url = format!(
            "{}/snap/v1/transactions",
            self.settings.snap_url.trim_end_matches('/')
        );
        let reply = self.send(reqwest::Method::POST, url, Some(body)).await?;
        if reply.code() >= 400 {
            return Err(reply.refused());
        }
        serde_json::from_value(reply.body).map_err(|e| MidtransError::InvalidResponse {
            detail: format!("Snap create answer: {e}"),
        })
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn expiry_starts_in_jakarta_time_and_counts_whole_minutes_down() {
        let start = Utc.with_ymd_and_hms(2026, 1, 15, 3, 0, 0).unwrap();

        let hour = SnapExpiry::new(start, Duration::from_secs(3600)).to_json();
        let odd = SnapExpiry::new(start, Duration::from_secs(150)).to_json();
        let tiny = SnapExpiry::new(start, Duration::from_secs(2)).to_json();

        assert_eq!(
            hour,
            json!({ "start_time": "2026-01-15 10:00:00 +0700", "unit": "minute", "duration": 60 })
        );
        assert_eq!(odd["duration"], 2);
        assert_eq!(tiny["duration"], 1, "Midtrans refuses less than 20 seconds");
        let closes = SnapExpiry::new(start, Duration::from_secs(150));
        assert_eq!(closes.closes_at(), start + chrono::Duration::minutes(2));
        assert!(!closes.is_closed_at(start + chrono::Duration::seconds(119)));
        assert!(closes.is_closed_at(start + chrono::Duration::seconds(120)));
    }

    #[test]
    fn a_request_carries_its_expiry_and_truncates_long_item_text() {
        let items = [Item {
            id: "S".repeat(60),
            name: "Kaos".into(),
            price: 5000,
            quantity: 2,
        }];
        let expiry = SnapExpiry::new(Utc::now(), Duration::from_secs(600));
        let request = SnapRequest {
            order_id: "ORDER-1",
            gross_amount: 10000,
            items: &items,
            customer: json!({ "first_name": "Budi" }),
            expiry,
        };

        let body = request.to_json();

        assert_eq!(body["expiry"], expiry.to_json());
        assert_eq!(body["transaction_details"]["gross_amount"], 10000);
        assert_eq!(body["item_details"][0]["id"].as_str().unwrap().len(), 50);
        assert_eq!(body["customer_details"]["first_name"], "Budi");
    }
}
