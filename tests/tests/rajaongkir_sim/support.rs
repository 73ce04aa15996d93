//! Helpers for the simulator tests: start a simulator and call it over HTTP.

use pasar_tests::rajaongkir_sim::{RajaOngkirSim, SimConfig};
use reqwest::header::HeaderMap;
use serde_json::Value;

pub const KEY: &str = "komerce-shipping-cost-TEST-123";

/// A simulator with [`KEY`] and no quota.
pub async fn sim() -> RajaOngkirSim {
    sim_with_quota(None).await
}

pub async fn sim_with_quota(quota: Option<u32>) -> RajaOngkirSim {
    RajaOngkirSim::start(SimConfig {
        api_key: KEY.into(),
        quota,
    })
    .await
    .unwrap()
}

/// One answer: HTTP status, headers, the body as JSON (or as a JSON string when it is not).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts the documented error envelope: `meta.code` = HTTP status, `status: "failed"`,
    /// `data: null`.
    #[track_caller]
    pub fn assert_failed(&self, status: u16) {
        assert_eq!(self.status, status, "{:?}", self.body);
        assert_eq!(self.body["meta"]["code"], status, "{:?}", self.body);
        assert_eq!(self.body["meta"]["status"], "failed");
        assert!(self.body["meta"]["message"].is_string());
        assert!(self.body["data"].is_null());
        assert!(self.body.as_object().unwrap().contains_key("data"));
    }

    /// Asserts a 200 success envelope and returns its `data` list.
    #[track_caller]
    pub fn rows(&self) -> Vec<Value> {
        assert_eq!(self.status, 200, "{:?}", self.body);
        assert_eq!(self.body["meta"]["code"], 200);
        assert_eq!(self.body["meta"]["status"], "success");
        self.body["data"]
            .as_array()
            .expect("data is a list")
            .clone()
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

/// `GET {base}{path}` with the `key` header when given.
pub async fn get(sim: &RajaOngkirSim, path: &str, key: Option<&str>) -> Answer {
    let mut request = reqwest::Client::new().get(format!("{}{path}", sim.base_url()));
    if let Some(key) = key {
        request = request.header("key", key);
    }
    read(request.send().await.unwrap()).await
}

/// `POST {base}{path}` with a form body and the `key` header when given.
pub async fn post_form(
    sim: &RajaOngkirSim,
    path: &str,
    key: Option<&str>,
    form: &[(&str, &str)],
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", sim.base_url()))
        .form(form);
    if let Some(key) = key {
        request = request.header("key", key);
    }
    read(request.send().await.unwrap()).await
}

/// `POST /api/v1/calculate/domestic-cost` with [`KEY`].
pub async fn cost(sim: &RajaOngkirSim, form: &[(&str, &str)]) -> Answer {
    post_form(sim, "/api/v1/calculate/domestic-cost", Some(KEY), form).await
}

/// `GET /api/v1/destination/domestic-destination?{query}` with [`KEY`].
pub async fn search(sim: &RajaOngkirSim, query: &str) -> Answer {
    let path = format!("/api/v1/destination/domestic-destination?{query}");
    get(sim, &path, Some(KEY)).await
}

/// Sends a `/_sim` control call with a JSON body; returns the HTTP status.
pub async fn control(sim: &RajaOngkirSim, method: &str, path: &str, body: Value) -> u16 {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    reqwest::Client::new()
        .request(method, format!("{}{path}", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `cost` of every row, in order.
pub fn costs(rows: &[Value]) -> Vec<u64> {
    rows.iter().map(|r| r["cost"].as_u64().unwrap()).collect()
}
