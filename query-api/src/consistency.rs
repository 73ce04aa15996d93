//! Read-your-writes. A command answers with a consistency token (the log position of what it
//! appended); a query carrying it in `X-Consistency-Token` waits until every projection the
//! route reads has a checkpoint at or beyond that position, for up to `CONSISTENCY_WAIT_MS`,
//! then gives up with 503 and `Retry-After`.
//!
//! What this process knows of the checkpoints lives in a watch channel, fed by:
//! - LISTEN `pasar_checkpoints` on a dedicated connection: the projector's `pg_notify` after
//!   each commit, payload `<projection> <position>`. Same database, so the payload is trusted.
//! - NATS `pasar.checkpoints.>`: a message only prompts a re-read of the checkpoint table (a
//!   NATS server may be shared by several environments, so its payload is a hint).
//! - The local search index ([`crate::search`]), which reports each batch it has applied
//!   through [`Consistency::observe_local`].
//! - A re-read on every LISTEN (re)connect, on every new waiter, and every [`POLL_INTERVAL`]
//!   while anyone waits: the last fallback when both notification paths are down.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName};
use deadpool_postgres::Pool;
use futures::StreamExt;
use pasar_events::Position;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_postgres::{AsyncMessage, NoTls};
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;

pub const HEADER: HeaderName = HeaderName::from_static("x-consistency-token");
/// The projector's NOTIFY channel and NATS subjects.
pub const CHANNEL: &str = "pasar_checkpoints";
pub const SUBJECTS: &str = "pasar.checkpoints.>";
/// Re-read period while requests wait and no notification arrives.
pub const POLL_INTERVAL: Duration = Duration::from_millis(40);

/// The projections' checkpoints as this process knows them, and the waiting readers.
pub struct Consistency {
    pool: Pool,
    max_wait: Duration,
    known: watch::Sender<BTreeMap<String, Position>>,
    /// Asks the refresher task for a re-read of the checkpoint table.
    refresh: Notify,
    waiting: AtomicUsize,
    /// Waits that ended satisfied / timed out (for `/metrics`).
    pub satisfied: AtomicU64,
    pub timed_out: AtomicU64,
}

impl Consistency {
    pub fn new(pool: Pool, max_wait: Duration) -> Arc<Self> {
        Arc::new(Consistency {
            pool,
            max_wait,
            known: watch::channel(BTreeMap::new()).0,
            refresh: Notify::new(),
            waiting: AtomicUsize::new(0),
            satisfied: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
        })
    }

    /// Requests waiting right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Checkpoints as last seen.
    pub fn known(&self) -> BTreeMap<String, Position> {
        self.known.borrow().clone()
    }

    /// One projection's checkpoint as last seen.
    pub fn position_of(&self, projection: &str) -> Option<Position> {
        self.known.borrow().get(projection).copied()
    }

    /// Starts the refresher, the LISTEN connection to `listen` (none on a standby, which
    /// cannot LISTEN) and (if given) the NATS subscription.
    pub fn spawn(
        self: &Arc<Self>,
        listen: Option<&str>,
        nats: Option<async_nats::Client>,
        stop: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let mut tasks = vec![tokio::spawn(Arc::clone(self).refresher(stop.clone()))];
        if let Some(database_url) = listen {
            tasks.push(tokio::spawn(
                Arc::clone(self).listen(database_url.to_owned(), stop.clone()),
            ));
        }
        if let Some(nats) = nats {
            tasks.push(tokio::spawn(
                Arc::clone(self).follow_nats(nats, stop.clone()),
            ));
        }
        tasks
    }

    /// Waits for the request's token, if it has one, to be covered by every one of
    /// `projections`. 400 for a malformed token, 503 after the bound.
    pub async fn require(&self, headers: &HeaderMap, projections: &[&str]) -> Result<(), ApiError> {
        self.require_token(headers, projections).await.map(drop)
    }

    /// [`Consistency::require`], returning the token waited for.
    pub async fn require_token(
        &self,
        headers: &HeaderMap,
        projections: &[&str],
    ) -> Result<Option<Position>, ApiError> {
        let Some(value) = headers.get(HEADER) else {
            return Ok(None);
        };
        let token: Position = value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| {
                ApiError::BadRequest("X-Consistency-Token must look like <txid>-<global>".into())
            })?;
        self.wait_for(projections, token).await?;
        Ok(Some(token))
    }

    /// The lowest known checkpoint of `projections`: what a read of all of them made now
    /// reflects at least (`None` while one is unknown).
    pub fn covered(&self, projections: &[&str]) -> Option<Position> {
        let known = self.known.borrow();
        projections
            .iter()
            .map(|p| known.get(*p).copied())
            .min()
            .flatten()
    }

    /// Resolves once every one of `projections` covers `token`; 503 after the bound.
    pub async fn wait_for(&self, projections: &[&str], token: Position) -> Result<(), ApiError> {
        let reached = |known: &BTreeMap<String, Position>| {
            projections
                .iter()
                .all(|p| known.get(*p).is_some_and(|at| *at >= token))
        };
        let mut changes = self.known.subscribe();
        if reached(&changes.borrow_and_update()) {
            return Ok(());
        }
        let _waiting = Waiting::enter(self);
        let deadline = tokio::time::Instant::now() + self.max_wait;
        loop {
            if reached(&changes.borrow_and_update()) {
                self.satisfied.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => {}
                // The sender lives in `self`, so it cannot be gone while we borrow `self`.
                Ok(Err(_)) | Err(_) => {
                    self.timed_out.fetch_add(1, Ordering::Relaxed);
                    return Err(ApiError::NotYetConsistent {
                        token: token.to_string(),
                    });
                }
            }
        }
    }

    /// Raises a projection's known position (never lowers it).
    fn observe(&self, projection: &str, position: Position) {
        self.known
            .send_if_modified(|known| match known.get_mut(projection) {
                Some(at) if *at >= position => false,
                Some(at) => {
                    *at = position;
                    true
                }
                None => {
                    known.insert(projection.to_owned(), position);
                    true
                }
            });
    }

    /// A read model kept in this process (the search index) has applied the log up to
    /// `position`: wakes the requests waiting for it. Never lowers what is known.
    pub fn observe_local(&self, name: &str, position: Position) {
        self.observe(name, position);
    }

    /// Re-reads every checkpoint from the database.
    pub async fn reload(&self) -> Result<(), ApiError> {
        let client = self.pool.get().await?;
        let positions = pasar_projector::status::live_positions(&client)
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        for (name, position) in positions {
            self.observe(&name, position);
        }
        Ok(())
    }

    async fn refresher(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let poll = if self.waiting() > 0 {
                POLL_INTERVAL
            } else {
                Duration::from_secs(3600)
            };
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.refresh.notified() => {}
                () = tokio::time::sleep(poll) => {}
            }
            if let Err(e) = self.reload().await {
                tracing::debug!(error = %e, "could not re-read checkpoints");
            }
        }
    }

    async fn listen(self: Arc<Self>, database_url: String, stop: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        while !stop.is_cancelled() {
            match tokio_postgres::connect(&database_url, NoTls).await {
                Ok((client, mut connection)) => {
                    let (tx, mut payloads) = tokio::sync::mpsc::unbounded_channel();
                    let driver = tokio::spawn(async move {
                        let mut messages =
                            futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                        while let Some(Ok(message)) = messages.next().await {
                            if let AsyncMessage::Notification(n) = message {
                                let _ = tx.send(n.payload().to_owned());
                            }
                        }
                    });
                    if client
                        .batch_execute(&format!("LISTEN {CHANNEL}"))
                        .await
                        .is_ok()
                    {
                        backoff = Duration::from_millis(100);
                        // Whatever was announced while we were not listening.
                        self.refresh.notify_one();
                        loop {
                            tokio::select! {
                                () = stop.cancelled() => break,
                                payload = payloads.recv() => match payload {
                                    Some(payload) => self.observe_payload(&payload),
                                    None => break,
                                },
                            }
                        }
                    }
                    driver.abort();
                }
                Err(e) => {
                    tracing::debug!(error = %e, "checkpoint LISTEN connection failed; retrying")
                }
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    /// `<projection> <position>` from NOTIFY.
    fn observe_payload(&self, payload: &str) {
        if let Some((name, position)) = payload.split_once(' ')
            && let Ok(position) = position.parse()
        {
            self.observe(name, position);
        }
    }

    async fn follow_nats(self: Arc<Self>, nats: async_nats::Client, stop: CancellationToken) {
        let mut messages = match nats.subscribe(SUBJECTS).await {
            Ok(subscriber) => subscriber,
            Err(e) => {
                tracing::warn!(error = %e, "cannot subscribe to checkpoint announcements on NATS");
                return;
            }
        };
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => return,
                message = messages.next() => message,
            };
            let Some(message) = message else { return };
            let projection = message
                .subject
                .as_str()
                .rsplit('.')
                .next()
                .unwrap_or_default();
            let announced: Option<Position> = std::str::from_utf8(&message.payload)
                .ok()
                .and_then(|p| p.parse().ok());
            let news = announced.is_none_or(|at| {
                self.known
                    .borrow()
                    .get(projection)
                    .is_none_or(|known| *known < at)
            });
            if news && self.waiting() > 0 {
                self.refresh.notify_one();
            }
        }
    }
}

/// Counts a waiter for as long as it lives, and asks for a fresh read when it starts.
struct Waiting<'a>(&'a Consistency);

impl<'a> Waiting<'a> {
    fn enter(consistency: &'a Consistency) -> Self {
        consistency.waiting.fetch_add(1, Ordering::Relaxed);
        consistency.refresh.notify_one();
        Waiting(consistency)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}
