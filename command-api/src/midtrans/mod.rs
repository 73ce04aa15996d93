//! Midtrans client, following `shared/reference/midtrans.md`: HTTP Basic with the server key and
//! an empty password (§2) on every call, and a call counted as failed when either the HTTP
//! status or the body's string `status_code` says so (§3.5).
//!
//! Map:
//! - [`snap`]: `POST /snap/v1/transactions` with `expiry` ([`SnapRequest`], [`SnapExpiry`]).
//! - [`status`]: `GET /v2/{id}/status` as typed fields ([`TransactionStatus`]) and their
//!   mapping onto what the shop should do ([`PaymentOutcome`], §6.3).
//! - [`actions`]: `/expire` and `/refund` with typed outcomes ([`ExpireOutcome`],
//!   [`RefundOutcome`]): a 404 or 412 is an answer to act on, never a success;
//!   [`Midtrans::close_unpaid`] turns them into the sweeper's [`ExpiryDecision`].
//! - [`notification`]: the webhook body, its constant-time signature check and
//!   [`Midtrans::verify_notification`], which confirms a notification with the status API.
//! - [`error`]: [`MidtransError`]; its `Display` is client-safe, its `Debug` is for logs.

mod actions;
mod error;
mod notification;
mod snap;
mod status;

use std::fmt;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;

pub use actions::{ExpireOutcome, ExpiryDecision, RefundOutcome, RefundRequest};
pub use error::MidtransError;
pub use notification::{SignedNotification, VerifyError, signature, signature_matches};
pub use snap::{Item, SnapExpiry, SnapRequest, SnapTransaction};
pub use status::{FraudStatus, PaymentOutcome, StatusLookup, TransactionState, TransactionStatus};

use crate::config::MidtransConfig;

/// What the client needs, independent of how a binary reads its configuration.
#[derive(Clone)]
pub struct ClientSettings {
    /// Basic-auth user for every call and the notification signature secret.
    pub server_key: String,
    /// Snap base URL, e.g. `https://app.sandbox.midtrans.com`.
    pub snap_url: String,
    /// Core API base URL, e.g. `https://api.sandbox.midtrans.com`.
    pub api_url: String,
    /// Confirm every notification with `GET /v2/{id}/status` (see [`Midtrans::verify_notification`]).
    pub verify_with_status_api: bool,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("server_key", &"[redacted]")
            .field("snap_url", &self.snap_url)
            .field("api_url", &self.api_url)
            .field("verify_with_status_api", &self.verify_with_status_api)
            .finish()
    }
}

impl From<MidtransConfig> for ClientSettings {
    fn from(config: MidtransConfig) -> Self {
        ClientSettings {
            server_key: config.server_key.expose().to_owned(),
            snap_url: config.snap_url,
            api_url: config.api_url,
            verify_with_status_api: config.verify_with_status_api,
        }
    }
}

#[derive(Clone)]
pub struct Midtrans {
    http: reqwest::Client,
    settings: ClientSettings,
    authorization: String,
}

impl fmt::Debug for Midtrans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Midtrans")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// One HTTP answer: its status and its body (`Null` when the body is not JSON).
struct Reply {
    http: u16,
    body: Value,
}

impl Reply {
    /// The body's string `status_code`, if it has one (§3.5).
    fn body_code(&self) -> Option<u16> {
        self.body["status_code"].as_str()?.parse().ok()
    }

    /// The effective outcome code: the HTTP status when it is an error, else the body's code.
    fn code(&self) -> u16 {
        if self.http >= 400 {
            self.http
        } else {
            self.body_code().unwrap_or(self.http)
        }
    }

    /// Midtrans' own words, for logs only: `status_message` or the Snap `error_messages`.
    fn detail(&self) -> String {
        if let Some(message) = self.body["status_message"].as_str() {
            return message.to_owned();
        }
        match self.body["error_messages"].as_array() {
            Some(messages) => messages
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; "),
            None => format!("HTTP {} with no readable body", self.http),
        }
    }

    fn refused(&self) -> MidtransError {
        MidtransError::Refused {
            status: self.code(),
            detail: self.detail(),
        }
    }
}

impl Midtrans {
    /// A client for the configured Midtrans (or simulator). Fails only if the HTTP client
    /// cannot be built (no TLS backend).
    pub fn new(config: MidtransConfig) -> anyhow::Result<Self> {
        Self::with_settings(config.into())
    }

    pub fn with_settings(settings: ClientSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .connect_timeout(Duration::from_secs(5))
            .build()?;
        let credentials = format!("{}:", settings.server_key);
        let authorization = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        );
        Ok(Self {
            http,
            settings,
            authorization,
        })
    }

    pub fn server_key(&self) -> &str {
        &self.settings.server_key
    }

    pub fn verifies_with_status_api(&self) -> bool {
        self.settings.verify_with_status_api
    }

    /// Compatibility wrapper: the raw status body, or an error for any code ≥ 400 but 407.
    /// New code uses [`Midtrans::fetch_status`].
    pub async fn status(&self, order_id: &str) -> Result<Value, MidtransError> {
        let reply = self
            .core(reqwest::Method::GET, order_id, "status", None)
            .await?;
        let code = reply.code();
        if code >= 400 && code != 407 {
            return Err(reply.refused());
        }
        Ok(reply.body)
    }

    /// Compatibility wrapper: `Ok` only when the transaction was expired; a 404 or 412 is a
    /// `Refused` error. New code uses [`Midtrans::expire_transaction`] and acts on the outcome.
    pub async fn expire(&self, order_id: &str) -> Result<(), MidtransError> {
        match self.expire_transaction(order_id).await? {
            ExpireOutcome::Expired => Ok(()),
            ExpireOutcome::NotFound => Err(MidtransError::Refused {
                status: 404,
                detail: "no transaction to expire".into(),
            }),
            ExpireOutcome::NotExpirable => Err(MidtransError::Refused {
                status: 412,
                detail: "the transaction can no longer be expired".into(),
            }),
        }
    }

    /// One Core API call on `/v2/{id}/{action}`.
    async fn core(
        &self,
        method: reqwest::Method,
        id: &str,
        action: &str,
        body: Option<&Value>,
    ) -> Result<Reply, MidtransError> {
        let url = format!(
            "{}/v2/{}/{action}",
            self.settings.api_url.trim_end_matches('/'),
            path_segment(id)
        );
        self.send(method, url, body).await
    }

    /// Sends one request with the auth headers and reads the answer. Only a missing answer is
    /// an error here; callers decide what each code means.
    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&Value>,
    ) -> Result<Reply, MidtransError> {
        let mut request = self
            .http
            .request(method, url)
            .header("Authorization", &self.authorization)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let unreachable = |e: reqwest::Error| MidtransError::Unreachable {
            detail: e.without_url().to_string(),
        };
        let response = request.send().await.map_err(unreachable)?;
        let http = response.status().as_u16();
        let bytes = response.bytes().await.map_err(unreachable)?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Reply { http, body })
    }
}

/// Order ids are restricted to `[A-Za-z0-9-_~.]` by Midtrans; anything else is escaped so an id
/// can never change the path.
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_~.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_client_never_print_the_server_key() {
        let settings = ClientSettings {
            server_key: "SB-Mid-server-SECRET".into(),
            snap_url: "http://snap".into(),
            api_url: "http://api".into(),
            verify_with_status_api: true,
        };
        let client = Midtrans::with_settings(settings.clone()).unwrap();

        assert!(!format!("{settings:?}").contains("SECRET"));
        assert!(!format!("{client:?}").contains("SECRET"));
        assert!(!format!("{client:?}").contains(&client.authorization[6..]));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(path_segment("a-b_c~d.e-1"), "a-b_c~d.e-1");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
    }
}
