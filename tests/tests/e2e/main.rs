//! End to end: the three real binaries against a fresh database, the local NATS, and the
//! Midtrans simulator. Build the binaries first: `cargo build --workspace --bins`.

mod activity;
mod addresses;
mod admin;
mod catalog_edits;
mod categories;
mod concurrency;
mod crash;
mod demo;
mod edge;
mod idempotency;
mod images;
mod imports;
mod late_settlement;
mod lifecycle;
mod logins;
mod midtrans_verification;
mod notifications;
mod profile;
mod purchase;
mod resume;
mod reviews;
mod scale_out;
mod search;
mod secrets;
mod shipping;
mod support;
mod synonyms;
mod throughput;
mod wallet;
mod webhooks;
mod wishlist;
