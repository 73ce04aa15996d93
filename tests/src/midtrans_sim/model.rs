//! The simulated transaction record and the Midtrans formats built from it:
//! status codes (§6.4), amounts as `"N.00"` strings, Asia/Jakarta timestamps and
//! the signed status / notification bodies (§4.3, §8.6).

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::expiry::SimExpiry;
use super::signature_key;

/// Status of a Snap order whose customer has not chosen a payment method yet.
/// Not a Midtrans value: Midtrans has no transaction at all at this point (§4.2).
pub const CREATED: &str = "created";

/// Merchant id used in every body, as in the reference samples.
pub const MERCHANT_ID: &str = "G000000001";

/// A transaction as the simulator knows it. Snapshots are handed out by
/// [`super::MidtransSim::transaction`]; mutating a snapshot changes nothing.
#[derive(Clone, Debug, Serialize)]
pub struct SimTransaction {
    pub order_id: String,
    /// Assigned at Snap create; only visible over the API once a payment method is chosen.
    pub transaction_id: String,
    pub token: String,
    pub gross_amount: i64,
    /// `item_details` exactly as received (`Value::Null` when absent).
    pub item_details: Value,
    /// `customer_details` exactly as received (`Value::Null` when absent).
    pub customer_details: Value,
    /// The whole Snap create body as received.
    pub request: Value,
    /// `"created"` until a payment method is chosen, then a Midtrans `transaction_status`.
    pub status: String,
    pub fraud_status: Option<String>,
    /// `bank_transfer` (BCA VA) or `credit_card` once chosen.
    pub payment_type: Option<String>,
    pub va_number: Option<String>,
    pub approval_code: Option<String>,
    pub transaction_time: Option<String>,
    pub expiry_time: Option<String>,
    pub settlement_time: Option<String>,
    /// The create's `expiry`, if it was valid and present.
    pub expiry: Option<SimExpiry>,
    /// The create carried no `expiry` (Midtrans accepts that; the shop should not send it).
    pub expiry_missing: bool,
    pub refunds: Vec<SimRefund>,
    /// URLs from `X-Override-Notification` (replace the default URL).
    pub override_notification: Option<Vec<String>>,
    /// URLs from `X-Append-Notification` (added to the default URL).
    pub append_notification: Vec<String>,
    /// Every notification body sent for this order, in sending order.
    pub notifications: Vec<Value>,
    /// Every delivery attempt (one per URL and try), in order.
    pub deliveries: Vec<DeliveryRecord>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SimRefund {
    pub refund_chargeback_id: u64,
    pub refund_chargeback_uuid: String,
    pub refund_key: String,
    pub refund_amount: i64,
    pub reason: String,
    pub created_at: String,
    pub bank_confirmed_at: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DeliveryRecord {
    pub url: String,
    pub transaction_status: String,
    /// 0 for the first try, n for the n-th retry.
    pub attempt: u32,
    /// HTTP status the webhook answered, if it answered.
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

/// Which body is being built: a few fields differ between the two (§6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    Notification,
    Status,
}

/// Asia/Jakarta: fixed UTC+7, no DST in Indonesia.
pub fn jakarta_offset() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// Current real time in Asia/Jakarta (the simulator's clock adds its offset, see `expiry`).
pub fn jakarta_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&jakarta_offset())
}

/// Midtrans time format: `YYYY-MM-DD HH:MM:SS`, local Jakarta time, no offset.
pub fn format_time(t: DateTime<FixedOffset>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// Amounts in responses and notifications: integer rupiah with two decimals.
pub fn format_amount(amount: i64) -> String {
    format!("{amount}.00")
}

/// `status_code` that accompanies a `transaction_status` (§6.4). Cancel carries
/// 202 in notifications but 200 in API responses, as documented.
pub fn status_code_for(status: &str, kind: BodyKind) -> &'static str {
    match status {
        "pending" => "201",
        "deny" | "failure" => "202",
        "expire" => "407",
        "cancel" if kind == BodyKind::Notification => "202",
        _ => "200",
    }
}

/// Random digits (uuid v4 is the only randomness source we depend on).
pub fn random_digits(len: usize) -> String {
    let mut n = uuid::Uuid::new_v4().as_u128();
    (0..len)
        .map(|_| {
            let d = (n % 10) as u8;
            n /= 10;
            char::from(b'0' + d)
        })
        .collect()
}

impl SimTransaction {
    pub fn new(order_id: String, gross_amount: i64, request: Value) -> Self {
        SimTransaction {
            order_id,
            transaction_id: uuid::Uuid::new_v4().to_string(),
            token: uuid::Uuid::new_v4().to_string(),
            gross_amount,
            item_details: request.get("item_details").cloned().unwrap_or(Value::Null),
            customer_details: request
                .get("customer_details")
                .cloned()
                .unwrap_or(Value::Null),
            request,
            status: CREATED.to_owned(),
            fraud_status: None,
            payment_type: None,
            va_number: None,
            approval_code: None,
            transaction_time: None,
            expiry_time: None,
            settlement_time: None,
            expiry: None,
            expiry_missing: true,
            refunds: Vec::new(),
            override_notification: None,
            append_notification: Vec::new(),
            notifications: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// A synthetic, already-pending BCA VA transaction (used to forge
    /// notifications for orders the simulator never saw).
    pub fn synthetic(order_id: &str) -> Self {
        let mut tx = SimTransaction::new(order_id.to_owned(), 10_000, Value::Null);
        tx.choose_bank_transfer(jakarta_now());
        tx.status = "pending".to_owned();
        tx
    }

    /// Whether Core API calls can see it (a payment method was chosen, §4.2).
    pub fn is_visible(&self) -> bool {
        self.status != CREATED
    }

    pub fn refunded_amount(&self) -> i64 {
        self.refunds.iter().map(|r| r.refund_amount).sum()
    }

    /// BCA VA chosen at `now`: payable until the Snap `expiry` closes, else for 24 h (§6.6).
    pub fn choose_bank_transfer(&mut self, now: DateTime<FixedOffset>) {
        self.payment_type = Some("bank_transfer".to_owned());
        self.va_number = Some(random_digits(11));
        self.fraud_status = Some("accept".to_owned());
        self.transaction_time = Some(format_time(now));
        let closes = self.deadline().unwrap_or(now + chrono::Duration::hours(24));
        self.expiry_time = Some(format_time(closes));
    }

    pub fn choose_credit_card(&mut self, now: DateTime<FixedOffset>) {
        self.payment_type = Some("credit_card".to_owned());
        self.fraud_status = Some("accept".to_owned());
        self.transaction_time = Some(format_time(now));
    }

    /// GoPay chosen at `now` (an e-wallet: refundable through the API, §5). Its own default
    /// window is not documented; without a Snap `expiry` the simulator uses 24 h as for a VA.
    pub fn choose_gopay(&mut self, now: DateTime<FixedOffset>) {
        self.payment_type = Some("gopay".to_owned());
        self.fraud_status = Some("accept".to_owned());
        self.transaction_time = Some(format_time(now));
        let closes = self.deadline().unwrap_or(now + chrono::Duration::hours(24));
        self.expiry_time = Some(format_time(closes));
    }

    /// Whether `POST /v2/{id}/refund` may refund this method (§5: cards and e-wallets, not
    /// VA, echannel or convenience stores).
    pub fn refundable_by_api(&self) -> bool {
        matches!(self.payment_type.as_deref(), Some("credit_card" | "gopay"))
    }

    fn is_card(&self) -> bool {
        self.payment_type.as_deref() == Some("credit_card")
    }

    /// Fields shared by the status response and notifications, for `status`
    /// (which may differ from the stored one for forged / out-of-order bodies).
    pub fn body(&self, status: &str, kind: BodyKind, gross: Option<&str>, key: &str) -> Value {
        let status_code = status_code_for(status, kind);
        let gross_amount = gross.map_or_else(|| format_amount(self.gross_amount), str::to_owned);
        let mut b = Map::new();
        let mut put = |k: &str, v: Value| {
            b.insert(k.to_owned(), v);
        };
        put("status_code", json!(status_code));
        let message = match kind {
            BodyKind::Notification => "midtrans payment notification",
            BodyKind::Status => "Success, transaction is found",
        };
        put("status_message", json!(message));
        put("transaction_id", json!(self.transaction_id));
        put("order_id", json!(self.order_id));
        put("merchant_id", json!(MERCHANT_ID));
        put("gross_amount", json!(gross_amount));
        put("currency", json!("IDR"));
        put(
            "payment_type",
            json!(self.payment_type.as_deref().unwrap_or("bank_transfer")),
        );
        let time = self
            .transaction_time
            .clone()
            .unwrap_or_else(|| format_time(jakarta_now()));
        put("transaction_time", json!(time));
        put("transaction_status", json!(status));
        if let Some(fraud) = &self.fraud_status {
            put("fraud_status", json!(fraud));
        }
        let sig = signature_key(&self.order_id, status_code, &gross_amount, key);
        put("signature_key", json!(sig));
        self.method_fields(status, &mut b);
        self.timing_and_refund_fields(status, &mut b);
        self.custom_fields(&mut b);
        Value::Object(b)
    }

    fn method_fields(&self, status: &str, b: &mut Map<String, Value>) {
        if self.is_card() {
            let denied = status == "deny";
            b.insert("masked_card".into(), json!("48111111-1114"));
            b.insert("bank".into(), json!("bni"));
            b.insert("card_type".into(), json!("credit"));
            b.insert("eci".into(), json!("05"));
            b.insert("three_ds_version".into(), json!("2"));
            let (code, msg) = if denied {
                ("05", "Denied")
            } else {
                ("00", "Approved")
            };
            b.insert("channel_response_code".into(), json!(code));
            b.insert("channel_response_message".into(), json!(msg));
            if let (false, Some(code)) = (denied, &self.approval_code) {
                b.insert("approval_code".into(), json!(code));
            }
            return;
        }
        if self.payment_type.as_deref() == Some("gopay") {
            return;
        }
        let va = self.va_number.clone().unwrap_or_else(|| random_digits(11));
        b.insert(
            "va_numbers".into(),
            json!([{ "bank": "bca", "va_number": va }]),
        );
        let paid = match (&self.settlement_time, status) {
            (_, "pending" | "expire" | "cancel" | "failure") | (None, _) => json!([]),
            (Some(at), _) => json!([{ "paid_at": at, "amount": format_amount(self.gross_amount) }]),
        };
        b.insert("payment_amounts".into(), paid);
    }

    fn timing_and_refund_fields(&self, status: &str, b: &mut Map<String, Value>) {
        match (status, &self.expiry_time, &self.settlement_time) {
            ("pending", Some(expiry), _) => {
                b.insert("expiry_time".into(), json!(expiry));
            }
            ("pending" | "expire" | "cancel" | "failure", _, _) => {}
            (_, _, Some(settled)) => {
                b.insert("settlement_time".into(), json!(settled));
            }
            _ => {}
        }
        if self.refunds.is_empty() || !matches!(status, "refund" | "partial_refund") {
            return;
        }
        let refunds: Vec<Value> = self.refunds.iter().map(refund_json).collect();
        b.insert(
            "refund_amount".into(),
            json!(format_amount(self.refunded_amount())),
        );
        b.insert("refunds".into(), Value::Array(refunds));
    }

    fn custom_fields(&self, b: &mut Map<String, Value>) {
        for field in [
            "custom_field1",
            "custom_field2",
            "custom_field3",
            "metadata",
        ] {
            if let Some(v) = self.request.get(field) {
                b.insert(field.into(), v.clone());
            }
        }
    }
}

fn refund_json(r: &SimRefund) -> Value {
    let mut v = json!({
        "refund_chargeback_id": r.refund_chargeback_id,
        "refund_chargeback_uuid": r.refund_chargeback_uuid,
        "refund_amount": format_amount(r.refund_amount),
        "created_at": r.created_at,
        "reason": r.reason,
        "refund_key": r.refund_key,
        "refund_method": "online",
    });
    if let Some(at) = &r.bank_confirmed_at {
        v["bank_confirmed_at"] = json!(at);
    }
    v
}
