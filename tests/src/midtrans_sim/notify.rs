//! HTTP notification delivery (§8): one POST per URL with Midtrans's headers,
//! 307/308 followed up to 5 hops, and the retry rules of §8.3 on an injectable
//! schedule. Notifications go through a single worker so that they leave in
//! the order the state changes happened.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::inner::Inner;
use super::state::SimError;

/// Midtrans waits this long for the webhook to answer (§8.1).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
const MAX_REDIRECTS: usize = 5;
const MAX_RETRIES: u32 = 5;

/// Delays before retry 1, 2, ... (at most 5 are used). `jitter` shifts each
/// delay randomly to between 25% and 100% of its nominal value, as Midtrans's
/// "a retry may come earlier than the nominal interval" (§8.3).
#[derive(Clone, Debug, PartialEq)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
    pub jitter: bool,
}

impl RetrySchedule {
    /// The documented schedule: 2, 10, 30, 90 and 210 minutes, with jitter.
    pub fn midtrans() -> Self {
        let minutes = [2, 10, 30, 90, 210];
        RetrySchedule {
            delays: minutes
                .iter()
                .map(|m| Duration::from_secs(m * 60))
                .collect(),
            jitter: true,
        }
    }

    /// Fixed delays without jitter (compressed schedules for local runs and tests).
    pub fn fixed(delays: Vec<Duration>) -> Self {
        RetrySchedule {
            delays,
            jitter: false,
        }
    }

    fn delay(&self, retry_index: usize) -> Option<Duration> {
        let nominal = *self.delays.get(retry_index)?;
        if !self.jitter {
            return Some(nominal);
        }
        let unit = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
        Some(nominal.mul_f64(0.25 + 0.75 * unit))
    }
}

/// What one POST (after redirects) came back with.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub http_status: Option<u16>,
    pub error: Option<String>,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        matches!(self.http_status, Some(200..=299))
    }

    fn into_result(self) -> Result<u16, SimError> {
        match self.http_status {
            Some(code) => Ok(code),
            None => Err(SimError::Delivery(self.error.unwrap_or_default())),
        }
    }
}

/// How many retries Midtrans makes after this answer (§8.3).
pub fn retries_allowed(outcome: &Outcome) -> u32 {
    match outcome.http_status {
        Some(200..=299 | 301..=303) => 0,
        Some(500) => 1,
        Some(400 | 404) => 2,
        Some(503) => 4,
        _ => MAX_RETRIES,
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT)
        .build()
        .expect("a reqwest client without custom TLS roots always builds")
}

/// POSTs `body` to `url`, following 307/308 with the same method and body.
pub async fn post_notification(client: &reqwest::Client, url: &str, body: &Value) -> Outcome {
    let mut target = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let sent = client
            .post(&target)
            .header("Accept", "application/json")
            .header("User-Agent", "Veritrans")
            .json(body)
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => {
                return Outcome {
                    http_status: None,
                    error: Some(e.to_string()),
                };
            }
        };
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|l| l.to_str().ok());
        match (status, location.and_then(|l| resp.url().join(l).ok())) {
            (307 | 308, Some(next)) => target = next.to_string(),
            _ => {
                return Outcome {
                    http_status: Some(status),
                    error: None,
                };
            }
        }
    }
    Outcome {
        http_status: None,
        error: Some(format!("more than {MAX_REDIRECTS} redirects")),
    }
}

/// Notifications to send for one order, in order, each to every URL.
pub struct Job {
    pub order_id: String,
    pub urls: Vec<String>,
    pub bodies: Vec<Value>,
    /// Receives the first failed answer, or the last answer when all succeeded.
    pub reply: Option<oneshot::Sender<Result<u16, SimError>>>,
}

pub async fn run_worker(
    inner: Arc<Inner>,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let job = tokio::select! {
            job = jobs.recv() => job,
            _ = shutdown.wait_for(|stop| *stop) => None,
        };
        let Some(job) = job else { break };
        let result = deliver_job(&inner, &job).await;
        if let Some(reply) = job.reply {
            // The caller may have given up waiting; nothing to do then.
            let _ = reply.send(result);
        }
    }
}

async fn deliver_job(inner: &Arc<Inner>, job: &Job) -> Result<u16, SimError> {
    let mut first_failure = None;
    let mut last = None;
    for body in &job.bodies {
        for url in &job.urls {
            let outcome = post_notification(inner.http(), url, body).await;
            inner.record_delivery(&job.order_id, url, body, 0, &outcome);
            tracing::info!(order_id = %job.order_id, %url, status = ?outcome.http_status,
                error = ?outcome.error, "midtrans-sim notification sent");
            schedule_retries(inner, &job.order_id, url, body, &outcome);
            if !outcome.succeeded() && first_failure.is_none() {
                first_failure = Some(outcome.clone());
            }
            last = Some(outcome);
        }
    }
    match first_failure.or(last) {
        Some(outcome) => outcome.into_result(),
        None => Err(SimError::NoNotificationUrl),
    }
}

fn schedule_retries(inner: &Arc<Inner>, order_id: &str, url: &str, body: &Value, first: &Outcome) {
    let Some(schedule) = inner.retry_schedule() else {
        return;
    };
    if retries_allowed(first) == 0 {
        return;
    }
    let (inner, order_id, url, body) = (
        Arc::clone(inner),
        order_id.to_owned(),
        url.to_owned(),
        body.clone(),
    );
    let mut shutdown = inner.shutdown_signal();
    let mut last = first.clone();
    tokio::spawn(async move {
        let mut done = 0;
        while done < retries_allowed(&last).min(MAX_RETRIES) {
            let Some(delay) = schedule.delay(done as usize) else {
                break;
            };
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            done += 1;
            last = post_notification(inner.http(), &url, &body).await;
            inner.record_delivery(&order_id, &url, &body, done, &last);
            tracing::info!(%order_id, %url, retry = done, status = ?last.http_status,
                "midtrans-sim notification retried");
        }
    });
}
