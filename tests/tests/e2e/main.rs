//! End to end: the three real binaries against a fresh database, the local NATS, and the
//! Midtrans simulator. Build the binaries first: `cargo build --workspace --bins`.

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
mod purchase;
mod resume;
mod reviews;
mod search;
mod secrets;
mod shipping;
mod support;
mod webhooks;
mod wishlist;
