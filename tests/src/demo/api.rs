//! The command API as the loader calls it: keyed commands, sign-in and registration, and the
//! shipping look-ups.

use anyhow::{Context as _, bail};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::PASSWORD;

pub(super) struct Api<'a> {
    pub(super) http: &'a Client,
    pub(super) base: &'a str,
}

impl Api<'_> {
    /// Sends a keyed command; answers the body of a success, fails otherwise.
    pub(super) async fn keyed(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: &str,
        body: Value,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("idempotency-key", key)
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    pub(super) async fn ok(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        key: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let (status, answer) = self.keyed(method, path, token, key, body).await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {answer}");
        }
        Ok(answer)
    }

    /// The first RajaOngkir location for `search`; `None` when shipping is not configured (503)
    /// or nothing matches.
    pub(super) async fn location(&self, token: &str, search: &str) -> anyhow::Result<Option<u64>> {
        let response = self
            .http
            .get(format!("{}/v1/shipping/destinations", self.base))
            .query(&[("search", search)])
            .bearer_auth(token)
            .send()
            .await
            .context("GET /v1/shipping/destinations")?;
        if !response.status().is_success() {
            return Ok(None);
        }
        let body: Value = response.json().await.unwrap_or(Value::Null);
        Ok(body["destinations"][0]["id"].as_u64())
    }

    /// Shipping for the buyer's cart to `destination`: the cheapest service of each seller's
    /// quote, as checkout's `shipments`. `Err(title)` when quoting was refused (`Cart is
    /// empty` after an earlier run checked the cart out).
    pub(super) async fn cheapest_shipments(
        &self,
        token: &str,
        destination: u64,
    ) -> anyhow::Result<Result<Value, String>> {
        let response = self
            .http
            .get(format!("{}/v1/shipping/quotes", self.base))
            .query(&[("destination", destination)])
            .bearer_auth(token)
            .send()
            .await
            .context("GET /v1/shipping/quotes")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Ok(Err(body["title"].as_str().unwrap_or_default().to_owned()));
        }
        let mut shipments = Vec::new();
        for group in body["groups"].as_array().into_iter().flatten() {
            let Some(cheapest) = group["services"].get(0) else {
                return Ok(Err("no courier serves a parcel".to_owned()));
            };
            shipments.push(json!({
                "seller_id": group["seller_id"], "quote_id": group["quote_id"],
                "courier": cheapest["courier"], "service": cheapest["service"],
            }));
        }
        Ok(Ok(Value::Array(shipments)))
    }

    /// Signs in; answers the access token.
    pub(super) async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .context("POST /v1/auth/login")?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("signing in as {email} answered {status}: {body}");
        }
        Ok(body["access_token"]
            .as_str()
            .context("access token")?
            .to_owned())
    }

    /// Registers (or, run again, signs back in to) a demo account; answers (id, token).
    pub(super) async fn account(
        &self,
        email: &str,
        name: &str,
        role: &str,
    ) -> anyhow::Result<(String, String)> {
        let body = json!({ "email": email, "password": PASSWORD, "full_name": name, "role": role });
        let key = format!("demo-register-{email}");
        let mut attempt = 0;
        let answer = loop {
            let (status, answer) = self
                .keyed(Method::POST, "/v1/auth/register", None, &key, body.clone())
                .await?;
            // 503: every password-hashing slot busy; wait a little and retry.
            if status == StatusCode::SERVICE_UNAVAILABLE && attempt < 50 {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                continue;
            }
            if !status.is_success() {
                bail!("registering {email} answered {status}: {answer}");
            }
            break answer;
        };
        let id = answer["user"]["id"].as_str().context("user id")?.to_owned();
        let token = answer["access_token"]
            .as_str()
            .context("access token")?
            .to_owned();
        Ok((id, token))
    }
}
