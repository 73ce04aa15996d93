//! The query API's configuration: read once from the environment at start-up (through
//! [`pasar_service::Env`], so every service follows the same rules).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pasar_service::Env;

pub use pasar_service::{ConfigError, Secret};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/pasar";
pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8082";
pub const DEFAULT_CONSISTENCY_WAIT: Duration = Duration::from_millis(5000);
/// How long a public catalog page is served from the page cache by default.
pub const DEFAULT_PAGE_CACHE_TTL: Duration = Duration::from_millis(1000);
pub const DEFAULT_SEARCH_INDEX_DIR: &str = "./data/search";

/// Everything the query API needs to start. Built by [`Config::from_env`] in `main`, or
/// directly by tests.
#[derive(Clone)]
pub struct Config {
    /// Where the API listens (`QUERY_API_ADDR`).
    pub addr: SocketAddr,
    /// PostgreSQL holding the `rm` read models and their checkpoints: `QUERY_DATABASE_URL`
    /// when set (a streaming replica of the primary's database), else `DATABASE_URL`.
    pub database_url: String,
    /// Whether `database_url` is a hot standby (`QUERY_DATABASE_URL` set): nothing is created
    /// or migrated there, and wake-ups come from NATS and a short re-read, since a standby
    /// cannot LISTEN.
    pub standby: bool,
    /// NATS server whose `pasar.checkpoints.>` messages wake waiting readers (`NATS_URL`).
    /// Optional at run time: PostgreSQL LISTEN and a short poll cover for it.
    pub nats_url: String,
    /// HS256 key the command API signs access tokens with (`JWT_SECRET`, required, at least
    /// 32 bytes).
    pub jwt_secret: Secret,
    /// How long a request with `X-Consistency-Token` may wait for the projections before a
    /// 503 (`CONSISTENCY_WAIT_MS`).
    pub consistency_wait: Duration,
    /// How long a public catalog page may be served from the page cache
    /// (`PAGE_CACHE_TTL_MS`; 0 turns the cache off).
    pub page_cache_ttl: Duration,
    /// Origins browsers may call from (`CORS_ALLOWED_ORIGINS`, none by default).
    pub cors: pasar_service::cors::CorsOrigins,
    /// Directory of this process's own search index (`SEARCH_INDEX_DIR`): created if
    /// missing, filled from the log if empty. One directory per process (the index is
    /// locked while open) and per database (its checkpoint is a position of that log).
    pub search_index_dir: PathBuf,
    /// Operators' search synonyms (`SEARCH_SYNONYMS_FILE`), reloaded when the file changes;
    /// `None`: the built-in list.
    pub search_synonyms_file: Option<PathBuf>,
    /// The object store product images are served from (`MEDIA_DIR`, or `MEDIA_S3_BUCKET`
    /// and its companions): the command API's.
    pub media: pasar_service::media::MediaConfig,
}

impl Config {
    /// Reads `QUERY_API_ADDR`, `DATABASE_URL` (or `QUERY_DATABASE_URL`), `NATS_URL`, `JWT_SECRET`,
    /// `CONSISTENCY_WAIT_MS` and `SEARCH_INDEX_DIR`, with local defaults for all but
    /// `JWT_SECRET`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::read(&Env::process())
    }

    /// Like [`Config::from_env`] with the variables of `env`.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let addr = env
            .get_or("QUERY_API_ADDR", DEFAULT_ADDR)
            .parse()
            .map_err(|e| ConfigError::new("QUERY_API_ADDR", format!("{e} (expected host:port)")))?;
        let replica = env.get("QUERY_DATABASE_URL").filter(|url| !url.is_empty());
        let standby = replica.is_some();
        let (variable, database_url) = match replica {
            Some(url) => ("QUERY_DATABASE_URL", url),
            None => (
                "DATABASE_URL",
                env.get_or("DATABASE_URL", DEFAULT_DATABASE_URL),
            ),
        };
        database_url
            .parse::<tokio_postgres::Config>()
            .map_err(|e| ConfigError::new(variable, e))?;
        let nats_url = env.get_or("NATS_URL", DEFAULT_NATS_URL);
        pasar_service::validate_nats_urls(&nats_url)
            .map_err(|e| ConfigError::new("NATS_URL", e))?;
        let wait_ms = env.parse("CONSISTENCY_WAIT_MS").map_err(|e| {
            ConfigError::new(e.variable, format!("{} (expected milliseconds)", e.message))
        })?;
        let page_cache_ms = env.parse("PAGE_CACHE_TTL_MS").map_err(|e| {
            ConfigError::new(e.variable, format!("{} (expected milliseconds)", e.message))
        })?;
        Ok(Config {
            addr,
            database_url,
            standby,
            nats_url,
            jwt_secret: env.required_secret("JWT_SECRET")?,
            consistency_wait: wait_ms.map_or(DEFAULT_CONSISTENCY_WAIT, Duration::from_millis),
            page_cache_ttl: page_cache_ms.map_or(DEFAULT_PAGE_CACHE_TTL, Duration::from_millis),
            cors: pasar_service::cors::CorsOrigins::from_env(env)?,
            search_index_dir: env
                .get_or("SEARCH_INDEX_DIR", DEFAULT_SEARCH_INDEX_DIR)
                .into(),
            search_synonyms_file: env.get("SEARCH_SYNONYMS_FILE").map(PathBuf::from),
            media: pasar_service::media::MediaConfig::read(env)?,
        })
    }
}

/// The database URL may carry a password, so `Debug` shows only where it points.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let database = self
            .database_url
            .rsplit_once('@')
            .map_or(self.database_url.as_str(), |(_, host)| host);
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database", &database)
            .field("standby", &self.standby)
            .field("nats_url", &self.nats_url)
            .field("jwt_secret", &self.jwt_secret)
            .field("consistency_wait", &self.consistency_wait)
            .field("cors", &self.cors)
            .field("search_index_dir", &self.search_index_dir)
            .field("search_synonyms_file", &self.search_synonyms_file)
            .field("media", &self.media)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn defaults_point_at_local_services() {
        let config = Config::read(&Env::from_pairs(&[("JWT_SECRET", KEY)])).unwrap();
        assert_eq!(config.addr.port(), 8082);
        assert_eq!(config.jwt_secret.expose(), KEY);
        assert_eq!(config.consistency_wait, Duration::from_secs(5));
    }

    #[test]
    fn a_replica_url_is_read_instead_of_the_primary_and_marks_a_standby() {
        let primary = [("JWT_SECRET", KEY), ("DATABASE_URL", "postgres://db/pasar")];
        let config = Config::read(&Env::from_pairs(&primary)).unwrap();
        assert_eq!(config.database_url, "postgres://db/pasar");
        assert!(!config.standby);
        let replica = [
            ("JWT_SECRET", KEY),
            ("DATABASE_URL", "postgres://db/pasar"),
            ("QUERY_DATABASE_URL", "postgres://replica:5433/pasar"),
            ("NATS_URL", "nats://n1:4222, nats://n2:4222"),
        ];
        let config = Config::read(&Env::from_pairs(&replica)).unwrap();
        assert_eq!(config.database_url, "postgres://replica:5433/pasar");
        assert!(config.standby);
        let bad = [
            ("JWT_SECRET", KEY),
            ("NATS_URL", "nats://n1:4222,nats://n2:port"),
        ];
        assert_eq!(
            Config::read(&Env::from_pairs(&bad)).unwrap_err().variable,
            "NATS_URL"
        );
    }

    #[test]
    fn without_jwt_secret_the_query_api_refuses_to_start() {
        let error = Config::read(&Env::from_pairs(&[])).unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
        // Development mode relaxes nothing here: a built-in key would let anyone mint tokens.
        let error = Config::read(&Env::from_pairs(&[("PASAR_ENV", "development")])).unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
    }

    #[test]
    fn a_jwt_secret_shorter_than_32_bytes_is_refused() {
        let error = Config::read(&Env::from_pairs(&[(
            "JWT_SECRET",
            "pasar-dev-secret-change-me",
        )]))
        .unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
        assert!(error.message.contains("32 bytes"), "{error}");
    }

    #[test]
    fn a_bad_wait_names_its_variable() {
        let error = Config::read(&Env::from_pairs(&[
            ("JWT_SECRET", KEY),
            ("CONSISTENCY_WAIT_MS", "soon"),
        ]))
        .unwrap_err();
        assert_eq!(error.variable, "CONSISTENCY_WAIT_MS");
    }

    #[test]
    fn secrets_never_reach_the_logs() {
        let config = Config::read(&Env::from_pairs(&[
            ("JWT_SECRET", "a-very-secret-signing-key-of-32-bytes"),
            ("DATABASE_URL", "postgres://app:hunter2@db/pasar"),
        ]))
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("a-very-secret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
