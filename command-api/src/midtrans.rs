//! Midtrans client: Snap transaction creation and the Core API status call, as described in
//! `reference/midtrans.md` (HTTP Basic with the server key and an empty password), and the
//! notification signature check.

use std::time::Duration;

use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::config::MidtransConfig;

#[derive(Debug, thiserror::Error)]
pub enum MidtransError {
    #[error("Midtrans refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Midtrans could not be reached: {0}")]
    Unreachable(String),
}

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

#[derive(Clone)]
pub struct Midtrans {
    http: reqwest::Client,
    config: MidtransConfig,
    authorization: String,
}

impl Midtrans {
    pub fn new(config: MidtransConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let credentials = format!("{}:", config.server_key.expose());
        let authorization = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        );
        Ok(Self {
            http,
            config,
            authorization,
        })
    }

    pub fn server_key(&self) -> &str {
        self.config.server_key.expose()
    }

    pub fn verifies_with_status_api(&self) -> bool {
        self.config.verify_with_status_api
    }

    /// `POST {snap}/snap/v1/transactions`.
    pub async fn create_snap(
        &self,
        order_id: &str,
        gross_amount: i64,
        items: &[Item],
        customer: serde_json::Value,
    ) -> Result<SnapTransaction, MidtransError> {
        let item_details: Vec<_> = items
            .iter()
            .map(|i| json!({ "id": truncate(&i.id, 50), "name": truncate(&i.name, 50), "price": i.price, "quantity": i.quantity }))
            .collect();
        let body = json!({
            "transaction_details": { "order_id": order_id, "gross_amount": gross_amount },
            "item_details": item_details,
            "customer_details": customer,
        });
        let url = format!(
            "{}/snap/v1/transactions",
            self.config.snap_url.trim_end_matches('/')
        );
        let response = self
            .http
            .post(url)
            .header("Authorization", &self.authorization)
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .map_err(|e| MidtransError::Unreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let payload: serde_json::Value = response.json().await.unwrap_or_default();
        if status >= 400 || body_status(&payload) >= 400 {
            let message = payload["error_messages"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            return Err(MidtransError::Refused { status, message });
        }
        serde_json::from_value(payload).map_err(|e| MidtransError::Refused {
            status,
            message: e.to_string(),
        })
    }

    /// `GET {api}/v2/{order_id}/status`: the source of truth for a transaction.
    pub async fn status(&self, order_id: &str) -> Result<serde_json::Value, MidtransError> {
        self.core_api(reqwest::Method::GET, order_id, "status")
            .await
    }

    /// `POST {api}/v2/{order_id}/expire`: stop a pending transaction from being paid.
    pub async fn expire(&self, order_id: &str) -> Result<(), MidtransError> {
        self.core_api(reqwest::Method::POST, order_id, "expire")
            .await
            .map(drop)
    }

    /// One Core API call on a transaction. A failure is an HTTP status ≥ 400 or, with HTTP 200,
    /// a body `status_code` ≥ 400 other than 407 (the normal answer of `/expire`, reference §5).
    async fn core_api(
        &self,
        method: reqwest::Method,
        order_id: &str,
        action: &str,
    ) -> Result<serde_json::Value, MidtransError> {
        let url = format!(
            "{}/v2/{order_id}/{action}",
            self.config.api_url.trim_end_matches('/')
        );
        let response = self
            .http
            .request(method, url)
            .header("Authorization", &self.authorization)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| MidtransError::Unreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let payload: serde_json::Value = response.json().await.unwrap_or_default();
        let code = body_status(&payload);
        if status >= 400 || (code >= 400 && code != 407) {
            let message = payload["status_message"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let status = if status >= 400 { status } else { code };
            return Err(MidtransError::Refused { status, message });
        }
        Ok(payload)
    }
}

/// Core API bodies carry their real outcome in a string `status_code` (reference §3.5).
fn body_status(payload: &serde_json::Value) -> u16 {
    payload["status_code"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}

/// `hex(SHA512(order_id + status_code + gross_amount + server_key))`.
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
        assert!(signature_matches(
            &good,
            "ORDER-101",
            "200",
            "10000.00",
            KEY
        ));
        assert!(signature_matches(
            &good.to_uppercase(),
            "ORDER-101",
            "200",
            "10000.00",
            KEY
        ));
        assert!(!signature_matches(
            &good,
            "ORDER-101",
            "200",
            "99999.00",
            KEY
        ));
        assert!(!signature_matches(
            &good,
            "ORDER-101",
            "200",
            "10000.00",
            "other-key"
        ));
        assert!(!signature_matches("", "ORDER-101", "200", "10000.00", KEY));
    }
}
