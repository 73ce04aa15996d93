//! `spawn_app()`: the query API on port 0 over a fresh database, plus the event store and the
//! projector to fill its read models.

pub mod fixtures;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{EncodingKey, Header};
use pasar_events::postgres::PgEventStore;
use pasar_events::types::Role;
use pasar_events::{DomainEvent, EventStore, ExpectedVersion, Metadata, Position};
use pasar_projector::Projector;
use pasar_query_api::{Config, Secret};
use serde_json::json;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use pasar_service::testing::TestDb;

pub const JWT_SECRET: &str = "test-secret-for-the-query-api-0123456";

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub store: PgEventStore,
    pub projector: Projector,
    last_appended: Mutex<Position>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    // Last, so it is dropped after everything that holds connections.
    db: TestDb,
    _search_dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with_wait(Duration::from_secs(10)).await
}

/// The app with `CONSISTENCY_WAIT_MS` set to `wait`.
pub async fn spawn_app_with_wait(wait: Duration) -> TestApp {
    spawn_app_with(wait, pasar_service::cors::CorsOrigins::default()).await
}

/// The app with `CONSISTENCY_WAIT_MS` set to `wait` and `CORS_ALLOWED_ORIGINS` to `cors`.
pub async fn spawn_app_with(wait: Duration, cors: pasar_service::cors::CorsOrigins) -> TestApp {
    let db = TestDb::create().await;
    let store = PgEventStore::connect(&db.url).await.expect("event store");
    let pool = pasar_events::postgres::pool(&db.url, 4).expect("pool");
    // Creates the read-model schema the API serves from.
    let projector = Projector::new(Arc::new(store.clone()), pool)
        .await
        .expect("projector");
    let search_dir = tempfile::tempdir().expect("search index directory");
    let config = Config {
        search_index_dir: search_dir.path().to_owned(),
        search_synonyms_file: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: db.url.clone(),
        standby: false,
        nats_url: "nats://127.0.0.1:4222".into(),
        jwt_secret: Secret::new(JWT_SECRET),
        consistency_wait: wait,
        page_cache_ttl: pasar_query_api::config::DEFAULT_PAGE_CACHE_TTL,
        cors,
        media: pasar_service::media::MediaConfig::Local {
            dir: search_dir.path().join("media"),
        },
    };
    let listener = tokio::net::TcpListener::bind(config.addr).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(pasar_query_api::run(config, listener, async move {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        http: reqwest::Client::new(),
        store,
        projector,
        last_appended: Mutex::new(Position::START),
        stop: Some(stop),
        server: Some(server),
        db,
        _search_dir: search_dir,
    }
}

/// An access token as the command API would issue it.
pub fn token(user: Uuid, role: Role) -> String {
    token_with(user, role, JWT_SECRET, 900)
}

/// A token signed with `secret`, expiring `ttl_seconds` from now (negative: already expired).
pub fn token_with(user: Uuid, role: Role, secret: &str, ttl_seconds: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims =
        json!({ "sub": user, "role": role, "iat": now, "exp": now + ttl_seconds, "iss": "pasar" });
    jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

impl TestApp {
    /// Appends typed events to `stream`; returns the last one's position (a consistency token).
    pub async fn append<E: DomainEvent>(&self, stream: &str, events: &[E]) -> Position {
        let new = events
            .iter()
            .map(|e| e.to_new_event(Uuid::new_v4(), Metadata::default()))
            .collect();
        let result = self
            .store
            .append(stream, ExpectedVersion::Any, new)
            .await
            .expect("append");
        let mut last = self.last_appended.lock().unwrap();
        *last = (*last).max(result.position);
        result.position
    }

    /// Catches every projection up to everything appended so far (appends become readable
    /// only once no older transaction in the cluster runs; waits on the store, not a timer).
    pub async fn project(&self) {
        for name in self.projector.names() {
            self.project_only(name).await;
        }
    }

    /// Catches one projection up to everything appended so far.
    pub async fn project_only(&self, projection: &str) {
        let target = *self.last_appended.lock().unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let at = self
                .projector
                .catch_up_projection(projection)
                .await
                .expect("catch up")
                .position;
            if at >= target {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "log never reached {target}"
            );
            self.store.wait_for_events(at, Duration::from_secs(1)).await;
        }
    }

    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// GET with an optional bearer token and consistency token.
    pub async fn get(
        &self,
        path: &str,
        bearer: Option<&str>,
        consistency: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(token) = consistency {
            request = request.header("X-Consistency-Token", token);
        }
        request.send().await.expect("request")
    }

    /// GET expecting 200 and a JSON body.
    pub async fn get_json(&self, path: &str, bearer: Option<&str>) -> serde_json::Value {
        let response = self.get(path, bearer, None).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    /// Resolves once `n` requests are waiting for a consistency token (read from /metrics).
    pub async fn until_waiting(&self, n: usize) {
        let line = format!("pasar_consistency_waiting {n}\n");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self
            .get("/metrics", None, None)
            .await
            .text()
            .await
            .unwrap()
            .contains(&line)
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "never saw {n} waiting requests"
            );
            tokio::task::yield_now().await;
        }
    }

    /// Triggers graceful shutdown and waits for the server to return.
    pub async fn shut_down(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = self.server.take().expect("server running");
        tokio::time::timeout(Duration::from_secs(20), server)
            .await
            .expect("graceful shutdown")
            .unwrap()
    }
}
