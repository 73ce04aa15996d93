//! The command API: takes commands over HTTP, decides with `pasar_domain`, appends to the event
//! log, and runs the reactors that carry a decision from one stream to the next.
//!
//! - [`app`]: the router and [`app::run`]; start here.
//! - [`routes`]: one module per area (accounts, catalog, cart, checkout, Midtrans webhook).
//! - [`exec`]: load → decide → append with optimistic concurrency and retries.
//! - [`auth`]: argon2id passwords, JWT access tokens, rotating refresh tokens.
//! - [`passwords`]: password hashing bounded to one argon2id per core (busy → 503);
//!   [`throttle`]: failed-login backoff per account and client address (→ 429).
//! - [`midtrans`]: Snap and Core API client, signature check.
//! - [`reactors`]: payment → order → stock process managers; [`expiry`] returns stock held by
//!   unpaid or never-placed orders.
//! - [`error`]: the single `ApiError` and its problem+json responses; [`rejections`] maps
//!   domain rejections onto it.
//! - [`config`]: the environment, read once. Shared plumbing (secrets, token checks, metrics,
//!   shutdown) comes from `pasar_service`.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod exec;
pub mod expiry;
pub mod midtrans;
pub mod passwords;
pub mod reactors;
pub mod rejections;
pub mod routes;
pub mod throttle;

pub use app::run;
pub use config::Config;
