//! A local Midtrans simulator (Snap + Core API + HTTP notifications) following
//! `shared/reference/midtrans.md`. Start one with [`MidtransSim::start`] and
//! point both `MIDTRANS_SNAP_URL` and `MIDTRANS_API_URL` at [`MidtransSim::base_url`].
//!
//! Map: `model` (transaction record, formats, signed bodies), `state` (the
//! §6.1 state machine and refunds), `inner` (shared state; every change yields
//! the notifications to send), `notify` (delivery, redirects, retries),
//! `flows` (pay / force a status / duplicates), `snap`, `core_api` and
//! `control` (HTTP handlers) and `http` (router and Basic auth).
//!
//! A Snap order is `"created"` until a payment method is chosen ([`MidtransSim::pay`],
//! [`MidtransSim::set_status`]); until then `GET /v2/{id}/status` answers 404, as
//! Midtrans does. Test-driven changes wait for the webhook's first answer;
//! changes made through the Core API notify in the background.

mod control;
mod core_api;
mod expiry;
mod flows;
mod http;
mod inner;
mod model;
mod notify;
mod snap;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use sha2::{Digest, Sha512};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use expiry::SimExpiry;
pub use model::{DeliveryRecord, SimRefund, SimTransaction};
pub use notify::RetrySchedule;
pub use state::SimError;

use inner::Inner;

/// `hex(SHA512(order_id + status_code + gross_amount + server_key))` (§7),
/// with every value exactly as it appears in the JSON body.
pub fn signature_key(
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

#[derive(Clone)]
pub struct SimConfig {
    /// Server key that callers must present as Basic auth username.
    pub server_key: String,
    /// Default ("dashboard") notification URL; `None` until set.
    pub notification_url: Option<String>,
}

impl std::fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("server_key", &"[redacted]")
            .field("notification_url", &self.notification_url)
            .finish()
    }
}

/// A running simulator. Dropping it (or [`MidtransSim::shutdown`]) stops the server.
pub struct MidtransSim {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl MidtransSim {
    /// Serves on `127.0.0.1` with an OS-chosen port.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<MidtransSim> {
        Self::start_on(cfg, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Serves Snap (`/snap/v1/transactions`), Core API (`/v2/...`) and the
    /// `/_sim` control endpoints on one listener bound to `addr`.
    pub async fn start_on(cfg: SimConfig, addr: SocketAddr) -> anyhow::Result<MidtransSim> {
        use anyhow::Context as _;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the Midtrans simulator to {addr}"))?;
        let mut local = listener
            .local_addr()
            .context("reading the simulator's local address")?;
        if local.ip().is_unspecified() {
            local.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let (stop, stopped) = watch::channel(false);
        let (jobs, job_rx) = mpsc::unbounded_channel();
        let base_url = format!("http://{local}");
        let inner = Arc::new(Inner::new(
            cfg.server_key,
            base_url,
            cfg.notification_url,
            jobs,
            stopped.clone(),
        ));
        tokio::spawn(expiry::run_ticker(Arc::clone(&inner), stopped.clone()));
        tokio::spawn(notify::run_worker(
            Arc::clone(&inner),
            job_rx,
            stopped.clone(),
        ));
        let app = http::router(Arc::clone(&inner));
        let mut shutdown = stopped;
        let server = tokio::spawn(async move {
            let signal = async move {
                let _ = shutdown.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::error!(error = %e, "midtrans simulator server failed");
            }
        });
        tracing::info!(base_url = %inner.base_url, "midtrans simulator listening");
        Ok(MidtransSim {
            inner,
            stop,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`, for both the Snap and the Core API base URL.
    pub fn base_url(&self) -> String {
        self.inner.base_url.clone()
    }

    pub fn server_key(&self) -> &str {
        &self.inner.server_key
    }

    /// Changes the default notification URL (orders created with
    /// `X-Override-Notification` keep theirs).
    pub fn set_notification_url(&self, url: &str) {
        self.inner.set_notification_url(Some(url.to_owned()));
    }

    /// Snapshot of one Snap order, if it was created.
    pub fn transaction(&self, order_id: &str) -> Option<SimTransaction> {
        self.inner.store().get(order_id).cloned()
    }

    /// Snapshots of every Snap order, in creation order.
    pub fn transactions(&self) -> Vec<SimTransaction> {
        self.inner.store().all()
    }

    /// Customer chooses BCA VA (`pending`, skipped if already pending) and pays
    /// (`settlement`); both notifications are sent in order. Returns the first
    /// non-2xx webhook answer, else the last answer. Fails on an unknown order,
    /// an illegal move, no notification URL, or a webhook that could not be
    /// reached (the state still changed then, as at Midtrans).
    pub async fn pay(&self, order_id: &str) -> anyhow::Result<u16> {
        Ok(self.inner.pay(order_id).await?)
    }

    /// Like [`MidtransSim::pay`] by card: `capture` (fraud `accept`), then `settlement`.
    pub async fn pay_card(&self, order_id: &str) -> anyhow::Result<u16> {
        Ok(self.inner.pay_card(order_id).await?)
    }

    /// Like [`MidtransSim::pay`] with GoPay (`pending`, then `settlement`): a method that,
    /// unlike a VA, Midtrans can refund through `POST /v2/{id}/refund`.
    pub async fn pay_gopay(&self, order_id: &str) -> anyhow::Result<u16> {
        Ok(self.inner.pay_gopay(order_id).await?)
    }

    /// Forces a move allowed by §6.1 and notifies. From `"created"`, `pending`
    /// picks BCA VA and `capture`/`authorize`/`deny`/`failure` pick a card.
    /// `refund` refunds what is left, `partial_refund` half of it (two
    /// notifications: without, then with `bank_confirmed_at`). Illegal moves
    /// fail with [`SimError::IllegalTransition`] and change nothing.
    pub async fn set_status(
        &self,
        order_id: &str,
        status: &str,
        fraud_status: Option<&str>,
    ) -> anyhow::Result<u16> {
        Ok(self
            .inner
            .set_status(order_id, status, fraud_status)
            .await?)
    }

    /// Sends the order's last notification again, byte for byte (a duplicate).
    pub async fn resend_last(&self, order_id: &str) -> anyhow::Result<u16> {
        Ok(self.inner.resend_last_and_wait(order_id).await?)
    }

    /// Sends a correctly signed notification for `status` without changing the
    /// order (out-of-order / late notifications). `gross_amount_override` is
    /// sent as is and signed as sent. Unknown orders get a synthetic pending
    /// BCA VA transaction of 10000.
    pub async fn send_notification(
        &self,
        order_id: &str,
        status: &str,
        gross_amount_override: Option<&str>,
    ) -> anyhow::Result<u16> {
        Ok(self
            .inner
            .send_forged(order_id, status, gross_amount_override)
            .await?)
    }

    /// The signed notification body for `status`, neither sent nor recorded.
    pub fn notification_body(&self, order_id: &str, status: &str) -> serde_json::Value {
        self.inner.build_notification(order_id, status)
    }

    /// The next Snap create answers 500 (each call arms one more failure).
    pub fn fail_next_snap_create(&self) {
        self.inner.arm_snap_create_failure();
    }

    /// The next `POST /v2/{id}/expire` answers "expired" (407) but leaves the transaction
    /// payable: the race in which a payment already under way settles after the shop was told
    /// the transaction expired. It is how a test gets a settlement for an expired order.
    pub fn lose_next_expire(&self) {
        self.inner.arm_lost_expire();
    }

    /// The customer picks GoPay (`pending`, refundable through the API) without paying yet.
    pub async fn choose_gopay(&self, order_id: &str) -> anyhow::Result<u16> {
        Ok(self.inner.choose_gopay(order_id).await?)
    }

    /// The next `GET /v2/{id}/status` answers 500.
    pub fn fail_next_status(&self) {
        self.inner.arm_status_failure();
    }

    /// Every later `POST /v2/{id}/expire` waits `delay` before acting (a slow Midtrans);
    /// `Duration::ZERO` turns it off.
    pub fn set_expire_delay(&self, delay: std::time::Duration) {
        self.inner.set_expire_delay(delay);
    }

    /// Moves the simulator's clock forward by `by`: every pending transaction whose Snap
    /// `expiry` window has now closed moves to `expire`, and this waits for the first try of
    /// each `expire` notification. Returns the expired order ids.
    pub async fn advance_clock(&self, by: std::time::Duration) -> Vec<String> {
        self.inner.advance_clock(by).await
    }

    /// When on, 406/412/414 business errors of the Core API come back with
    /// HTTP 200 and the error only in the body's `status_code` (§3.5).
    pub fn set_core_errors_as_http_200(&self, on: bool) {
        self.inner.set_core_errors_as_http_200(on);
    }

    /// Enables retries of failed notifications on `schedule` (§8.3); `None`
    /// (the default) sends each notification once.
    pub fn set_retry_schedule(&self, schedule: Option<RetrySchedule>) {
        self.inner.set_retry_schedule(schedule);
    }

    /// Stops the server without waiting (same as dropping the handle).
    pub fn shutdown(self) {}

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for MidtransSim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
