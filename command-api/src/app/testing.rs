//! Test support: an [`AppState`] over any event store, with nothing else reachable.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pasar_events::memory::MemoryEventStore;
use pasar_events::{
    AppendResult, EventStore, ExpectedVersion, NewEvent, Position, RecordedEvent, StoreError,
};

use super::AppState;
use crate::config::{Config, MidtransConfig, Secret};
use crate::midtrans::Midtrans;

pub fn state(store: Arc<dyn EventStore>) -> AppState {
    let midtrans = MidtransConfig {
        server_key: Secret::new("test-server-key"),
        snap_url: "http://127.0.0.1:9".into(),
        api_url: "http://127.0.0.1:9".into(),
        verify_with_status_api: false,
    };
    let config = Config {
        addr: ([127, 0, 0, 1], 0).into(),
        database_url: "postgres://127.0.0.1:9/none".into(),
        database_pool_size: 16,
        event_store: pasar_events::select::Backend::Postgres,
        jwt_secret: Secret::new("t".repeat(32)),
        access_token_ttl: Duration::from_secs(60),
        refresh_token_ttl: Duration::from_secs(600),
        payment_timeout: Duration::from_secs(60),
        midtrans: midtrans.clone(),
        admin: None,
        reactors_enabled: false,
        expiry_sweep_interval: Duration::from_secs(1),
        checkout: crate::config::CheckoutLimits::default(),
        order_auto_complete: Duration::from_secs(7 * 24 * 3600),
        cors: pasar_service::cors::CorsOrigins::default(),
        shipping: None,
        mail: crate::processes::notifications::mailer::MailConfig {
            smtp_url: None,
            from: "Pasar <no-reply@pasar.test>"
                .parse()
                .expect("invariant: a valid mailbox"),
            development: false,
        },
        media: pasar_service::media::MediaConfig::Local {
            dir: std::env::temp_dir().join("pasar-unit-media"),
        },
    };
    // Never connected: deadpool connects on first use.
    let mut pool_config = deadpool_postgres::Config::new();
    pool_config.url = Some("postgres://postgres@127.0.0.1:9/none".into());
    let pool = pool_config
        .create_pool(None, tokio_postgres::NoTls)
        .expect("invariant: an empty pool config builds");
    AppState {
        tokens: Arc::new(pasar_service::auth::TokenVerifier::new(&config.jwt_secret)),
        metrics: pasar_service::metrics::Registry::new(),
        passwords: crate::passwords::Passwords::new(crate::passwords::PasswordLimits::from_cores()),
        login_throttle: Arc::default(),
        access: pasar_service::access::AccessList::new(),
        config: Arc::new(config),
        store,
        midtrans: Midtrans::new(midtrans).expect("invariant: the test client builds"),
        shipping: None,
        pool,
        media: crate::media::Media::new(Arc::new(
            pasar_service::media::object_store::memory::InMemory::new(),
        )),
    }
}

/// A memory store whose appends to streams starting with `failing` are unavailable, which
/// counts the appends and stream reads it was asked for, and can hold its reads.
#[derive(Default)]
pub struct FailingAppends {
    pub inner: MemoryEventStore,
    pub failing: &'static str,
    pub appends: std::sync::atomic::AtomicUsize,
    /// Stream reads asked for.
    pub reads: std::sync::atomic::AtomicUsize,
    pub held: HeldReads,
}

/// While `on`, a stream read, once read, announces itself on `read` and waits for one of
/// `permits` before it answers (what it answers was read before the wait).
pub struct HeldReads {
    pub on: std::sync::atomic::AtomicBool,
    pub permits: tokio::sync::Semaphore,
    pub read: tokio::sync::Notify,
}

impl Default for HeldReads {
    fn default() -> Self {
        HeldReads {
            on: std::sync::atomic::AtomicBool::new(false),
            permits: tokio::sync::Semaphore::new(0),
            read: tokio::sync::Notify::new(),
        }
    }
}

#[async_trait]
impl EventStore for FailingAppends {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<AppendResult, StoreError> {
        self.appends
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if !self.failing.is_empty() && stream.starts_with(self.failing) {
            return Err(StoreError::Unavailable("refused by the test".into()));
        }
        self.inner.append(stream, expected, events).await
    }

    async fn read_stream(&self, stream: &str, from: i64) -> Result<Vec<RecordedEvent>, StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let read = self.inner.read_stream(stream, from).await;
        if self.held.on.load(std::sync::atomic::Ordering::SeqCst) {
            self.held.read.notify_one();
            let permit = self.held.permits.acquire().await;
            permit
                .expect("invariant: the test never closes it")
                .forget();
        }
        read
    }

    async fn read_all(
        &self,
        after: Position,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn wait_for_events(&self, after: Position, max_wait: Duration) {
        self.inner.wait_for_events(after, max_wait).await;
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.inner.head().await
    }
}
