//! Benchmarks for `pasar-bench`: each prints its figures beside a baseline measured in the same
//! run on the same machine. Not part of the test suite.

pub mod appends;
pub mod catchup;
pub mod commands;
pub mod flash;
pub mod history;
pub mod import;
pub mod latency;
pub mod list;
pub mod load;
pub mod logins;
pub mod mixed;
pub mod search;

/// A fresh scratch database URL on the local PostgreSQL.
pub fn scratch_database(prefix: &str) -> String {
    let base = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    format!("{base}/{prefix}_{}", uuid::Uuid::new_v4().simple())
}

pub use pasar_service::testing::drop_database;
