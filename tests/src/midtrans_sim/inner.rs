//! State shared by the HTTP handlers, the public handle and the notification
//! worker. Every state change happens under the store lock and yields a
//! [`Dispatch`]: the notification bodies to send once the lock is released.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};

use super::expiry::page_closed;
use super::model::{BodyKind, DeliveryRecord, SimTransaction, format_time, jakarta_now};
use super::notify::{Job, Outcome, RetrySchedule};
use super::state::{self, RefundOutcome, RefundRequest, SimError, Store};

/// Notifications produced by one state change, to be sent in order.
pub struct Dispatch {
    pub order_id: String,
    pub urls: Vec<String>,
    pub bodies: Vec<Value>,
}

pub struct Inner {
    pub server_key: String,
    pub base_url: String,
    notification_url: RwLock<Option<String>>,
    store: Mutex<Store>,
    fail_snap_create: AtomicU32,
    fail_status: AtomicU32,
    /// `/expire` calls to answer "expired" without expiring (see `lose_next_expire`).
    lose_expire: AtomicU32,
    core_errors_as_http_200: AtomicBool,
    /// Seconds added to real time (see `expiry`).
    clock_offset: AtomicI64,
    /// How long `/v2/{id}/expire` waits before acting, in milliseconds.
    expire_delay_ms: AtomicU64,
    retry: RwLock<Option<RetrySchedule>>,
    http: reqwest::Client,
    jobs: mpsc::UnboundedSender<Job>,
    shutdown: watch::Receiver<bool>,
}

impl Inner {
    pub fn new(
        server_key: String,
        base_url: String,
        notification_url: Option<String>,
        jobs: mpsc::UnboundedSender<Job>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Inner {
            server_key,
            base_url,
            notification_url: RwLock::new(notification_url),
            store: Mutex::default(),
            fail_snap_create: AtomicU32::new(0),
            fail_status: AtomicU32::new(0),
            lose_expire: AtomicU32::new(0),
            core_errors_as_http_200: AtomicBool::new(false),
            clock_offset: AtomicI64::new(0),
            expire_delay_ms: AtomicU64::new(0),
            retry: RwLock::new(None),
            http: super::notify::http_client(),
            jobs,
            shutdown,
        }
    }

    /// The store lock; a panic while holding it cannot leave a half-applied
    /// change that matters to a test double, so poisoning is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    pub fn set_notification_url(&self, url: Option<String>) {
        *self
            .notification_url
            .write()
            .unwrap_or_else(|p| p.into_inner()) = url;
    }

    pub fn retry_schedule(&self) -> Option<RetrySchedule> {
        self.retry.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set_retry_schedule(&self, schedule: Option<RetrySchedule>) {
        *self.retry.write().unwrap_or_else(|p| p.into_inner()) = schedule;
    }

    pub fn arm_snap_create_failure(&self) {
        self.fail_snap_create.fetch_add(1, Ordering::SeqCst);
    }

    pub fn arm_status_failure(&self) {
        self.fail_status.fetch_add(1, Ordering::SeqCst);
    }

    /// Consumes one armed failure, if any.
    pub fn take_snap_create_failure(&self) -> bool {
        take_one(&self.fail_snap_create)
    }

    pub fn take_status_failure(&self) -> bool {
        take_one(&self.fail_status)
    }

    pub fn arm_lost_expire(&self) {
        self.lose_expire.fetch_add(1, Ordering::SeqCst);
    }

    pub fn take_lost_expire(&self) -> bool {
        take_one(&self.lose_expire)
    }

    pub fn set_core_errors_as_http_200(&self, on: bool) {
        self.core_errors_as_http_200.store(on, Ordering::SeqCst);
    }

    pub fn core_errors_as_http_200(&self) -> bool {
        self.core_errors_as_http_200.load(Ordering::SeqCst)
    }

    pub fn clock_offset(&self) -> i64 {
        self.clock_offset.load(Ordering::SeqCst)
    }

    pub fn add_clock_offset(&self, seconds: i64) {
        self.clock_offset.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn expire_delay(&self) -> Duration {
        Duration::from_millis(self.expire_delay_ms.load(Ordering::SeqCst))
    }

    pub fn set_expire_delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.expire_delay_ms.store(millis, Ordering::SeqCst);
    }

    /// Where notifications for `tx` go (§8.5): override URLs replace the
    /// default; append URLs are added after it.
    fn urls_for(&self, tx: &SimTransaction) -> Vec<String> {
        if let Some(urls) = &tx.override_notification {
            return urls.clone();
        }
        let default = self
            .notification_url
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        default
            .into_iter()
            .chain(tx.append_notification.iter().cloned())
            .collect()
    }

    pub(super) fn notification(
        &self,
        tx: &SimTransaction,
        status: &str,
        gross: Option<&str>,
    ) -> Value {
        tx.body(status, BodyKind::Notification, gross, &self.server_key)
    }

    /// Moves `order_id` to `to` and prepares its notification.
    pub fn transition(
        &self,
        order_id: &str,
        to: &str,
        fraud: Option<&str>,
    ) -> Result<Dispatch, SimError> {
        self.transition_if(order_id, |_| true, to, fraud)
    }

    /// Like [`Inner::transition`], but only when `guard` accepts the current
    /// state (extra rules of the Core API endpoints, e.g. approve needs a challenge).
    pub fn transition_if(
        &self,
        order_id: &str,
        guard: impl Fn(&SimTransaction) -> bool,
        to: &str,
        fraud: Option<&str>,
    ) -> Result<Dispatch, SimError> {
        let now = self.now();
        let mut store = self.store();
        let tx = store.get_mut(order_id)?;
        if page_closed(tx, now) {
            return Err(SimError::PaymentWindowClosed(order_id.to_owned()));
        }
        if !guard(tx) {
            let (from, to) = (tx.status.clone(), to.to_owned());
            return Err(SimError::IllegalTransition { from, to });
        }
        state::check_transition(tx, to, fraud)?;
        state::apply_transition(tx, to, fraud, now);
        let body = self.notification(tx, to, None);
        Ok(self.dispatch(tx, vec![body]))
    }

    /// Records a refund and prepares its two notifications (without, then with
    /// `bank_confirmed_at`, §5). A replayed refund key sends nothing.
    pub fn refund(
        &self,
        order_id: &str,
        req: RefundRequest,
    ) -> Result<(SimTransaction, RefundOutcome, Dispatch), SimError> {
        let mut store = self.store();
        let id = store.next_refund_id();
        let tx = store.get_mut(order_id)?;
        let outcome = state::refund(tx, req, id)?;
        let mut bodies = Vec::new();
        if let RefundOutcome::Applied(_) = outcome {
            let status = tx.status.clone();
            bodies.push(self.notification(tx, &status, None));
            if let Some(last) = tx.refunds.last_mut() {
                last.bank_confirmed_at = Some(format_time(jakarta_now()));
            }
            bodies.push(self.notification(tx, &status, None));
        }
        let dispatch = self.dispatch(tx, bodies);
        Ok((tx.clone(), outcome, dispatch))
    }

    /// A notification for `status` without changing state (duplicates, out of
    /// order, tampered amounts). Unknown orders get a synthetic transaction.
    pub fn forged(&self, order_id: &str, status: &str, gross: Option<&str>) -> Dispatch {
        let mut store = self.store();
        match store.get_mut(order_id) {
            Ok(tx) => {
                let body = self.notification(tx, status, gross);
                self.dispatch(tx, vec![body])
            }
            Err(_) => {
                let tx = SimTransaction::synthetic(order_id);
                let body = self.notification(&tx, status, gross);
                Dispatch {
                    order_id: order_id.to_owned(),
                    urls: self.urls_for(&tx),
                    bodies: vec![body],
                }
            }
        }
    }

    /// The notification body for `status`, built and signed but neither sent
    /// nor recorded. Unknown orders get a synthetic transaction.
    pub fn build_notification(&self, order_id: &str, status: &str) -> Value {
        let store = self.store();
        match store.get(order_id) {
            Some(tx) => self.notification(tx, status, None),
            None => self.notification(&SimTransaction::synthetic(order_id), status, None),
        }
    }

    /// The last notification sent for `order_id`, sent again verbatim.
    pub fn resend_last(&self, order_id: &str) -> Result<Dispatch, SimError> {
        let mut store = self.store();
        let tx = store.get_mut(order_id)?;
        let Some(last) = tx.notifications.last().cloned() else {
            return Err(SimError::NothingToResend(order_id.to_owned()));
        };
        Ok(self.dispatch(tx, vec![last]))
    }

    pub(super) fn dispatch(&self, tx: &mut SimTransaction, bodies: Vec<Value>) -> Dispatch {
        tx.notifications.extend(bodies.iter().cloned());
        Dispatch {
            order_id: tx.order_id.clone(),
            urls: self.urls_for(tx),
            bodies,
        }
    }

    /// Sends and waits for the first try of every delivery.
    pub async fn send_and_wait(&self, dispatch: Dispatch) -> Result<u16, SimError> {
        if dispatch.urls.is_empty() {
            return Err(SimError::NoNotificationUrl);
        }
        let (tx, rx) = oneshot::channel();
        self.enqueue(dispatch, Some(tx))?;
        rx.await
            .map_err(|_| SimError::Delivery("simulator is shutting down".into()))?
    }

    /// Sends in the background, as Midtrans does after an API call.
    pub fn send_in_background(&self, dispatch: Dispatch) {
        if dispatch.urls.is_empty() {
            tracing::warn!(order_id = %dispatch.order_id, "no notification URL; notification dropped");
            return;
        }
        if let Err(e) = self.enqueue(dispatch, None) {
            tracing::warn!(error = %e, "notification dropped");
        }
    }

    fn enqueue(
        &self,
        d: Dispatch,
        reply: Option<oneshot::Sender<Result<u16, SimError>>>,
    ) -> Result<(), SimError> {
        let job = Job {
            order_id: d.order_id,
            urls: d.urls,
            bodies: d.bodies,
            reply,
        };
        self.jobs
            .send(job)
            .map_err(|_| SimError::Delivery("simulator is shutting down".into()))
    }

    pub fn record_delivery(
        &self,
        order_id: &str,
        url: &str,
        body: &Value,
        attempt: u32,
        outcome: &Outcome,
    ) {
        let mut store = self.store();
        if let Ok(tx) = store.get_mut(order_id) {
            tx.deliveries.push(DeliveryRecord {
                url: url.to_owned(),
                transaction_status: body["transaction_status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                attempt,
                http_status: outcome.http_status,
                error: outcome.error.clone(),
            });
        }
    }
}

fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}
