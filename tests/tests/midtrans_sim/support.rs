//! Helpers for the simulator tests: a tiny webhook receiver and a Midtrans client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use pasar_tests::midtrans_sim::{MidtransSim, SimConfig, signature_key};
use serde_json::{Value, json};
use tokio::sync::watch;

pub const KEY: &str = "SB-Mid-server-TEST-KEY-123";

/// One notification as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
struct ReceiverState {
    received: Arc<Mutex<Vec<Received>>>,
    count: Arc<watch::Sender<usize>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

/// A webhook endpoint on 127.0.0.1 that records every POST and answers 200,
/// or the queued statuses first.
pub struct Receiver {
    pub url: String,
    state: ReceiverState,
    _server: tokio::task::JoinHandle<()>,
}

async fn record(State(s): State<ReceiverState>, headers: HeaderMap, body: String) -> StatusCode {
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let answer = s.answers.lock().unwrap().pop_front().unwrap_or(200);
    let n = {
        let mut received = s.received.lock().unwrap();
        received.push(Received { headers, body });
        received.len()
    };
    s.count.send_replace(n);
    StatusCode::from_u16(answer).unwrap()
}

impl Receiver {
    pub async fn start() -> Receiver {
        let state = ReceiverState {
            received: Arc::default(),
            count: Arc::new(watch::channel(0).0),
            answers: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver {
            url,
            state,
            _server: server,
        }
    }

    /// Queue HTTP statuses to answer with before going back to 200.
    pub fn answer_with(&self, statuses: &[u16]) {
        self.state.answers.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn bodies(&self) -> Vec<Value> {
        self.received().into_iter().map(|r| r.body).collect()
    }

    /// Waits (at most 5 s) until `n` notifications arrived, then returns all bodies.
    pub async fn wait_for(&self, n: usize) -> Vec<Value> {
        let mut rx = self.state.count.subscribe();
        tokio::time::timeout(Duration::from_secs(5), rx.wait_for(|c| *c >= n))
            .await
            .unwrap_or_else(|_| panic!("expected {n} notifications, got {:?}", self.bodies()))
            .unwrap();
        self.bodies()
    }
}

pub async fn sim_with(receiver: Option<&Receiver>) -> MidtransSim {
    let cfg = SimConfig {
        server_key: KEY.to_owned(),
        notification_url: receiver.map(|r| r.url.clone()),
    };
    MidtransSim::start(cfg).await.unwrap()
}

pub fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

/// A Midtrans API client as the adapter would use it.
pub struct Client {
    base: String,
    http: reqwest::Client,
    auth: String,
}

impl Client {
    pub fn new(sim: &MidtransSim) -> Client {
        Client::with_key(sim, KEY)
    }

    pub fn with_key(sim: &MidtransSim, key: &str) -> Client {
        Client {
            base: sim.base_url(),
            http: reqwest::Client::new(),
            auth: basic(key),
        }
    }

    pub async fn post(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .json(&body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    pub async fn snap_create(&self, order_id: &str, gross: i64) -> (u16, Value) {
        let body = json!({
            "transaction_details": { "order_id": order_id, "gross_amount": gross },
            "item_details": [{ "id": "SKU-1", "price": gross, "quantity": 1, "name": "Kaos Polos" }],
        });
        self.post("/snap/v1/transactions", body, &[]).await
    }

    pub async fn status(&self, id: &str) -> (u16, Value) {
        self.get(&format!("/v2/{id}/status")).await
    }
}

/// Asserts that a status or notification body carries a correct signature.
#[track_caller]
pub fn assert_signed(body: &Value) {
    let s = |k: &str| {
        body[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} missing in {body}"))
            .to_owned()
    };
    let expected = signature_key(&s("order_id"), &s("status_code"), &s("gross_amount"), KEY);
    assert_eq!(s("signature_key"), expected, "bad signature in {body}");
}

/// Asserts the Midtrans time format `YYYY-MM-DD HH:MM:SS`.
#[track_caller]
pub fn assert_midtrans_time(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time string: {value}"));
    assert!(
        chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").is_ok(),
        "bad time {text}"
    );
}

/// Waits (at most 5 s) until `condition` holds, re-checking every few milliseconds.
pub async fn eventually(condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
