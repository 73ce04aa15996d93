//! The command API: takes commands over HTTP, decides with `pasar_domain`, appends to the event
//! log, and runs the processes that carry a decision from one stream to the next. Three
//! layers, each importing only the ones below it:
//!
//! - [`http`]: routes, extractors, request types parsed into commands (`TryFrom`), and the
//!   only knowledge of status codes and problem+json ([`http::rules`]). Start here.
//! - [`app`]: one module per use case (`checkout::run(cmd, &state) -> Result<Outcome,
//!   AppError>`), the dependencies ([`app::AppState`]) and `exec` (load → decide → append).
//! - [`processes`]: the order flow and the expiry sweeper, as `Processor`s of the runtime.
//!
//! Beside them: [`server`] wires everything ([`server::run`]); [`cli`] the command-line tools
//! (`command-api admin create --email …`); [`auth`] (argon2id passwords,
//! JWT access tokens, rotating refresh tokens and the `AuthUser` extractor); [`midtrans`]
//! (Snap and Core API client, signature check); [`passwords`] (argon2id bounded to one hash
//! per core, busy → 503); [`throttle`] (failed-login backoff per account and address → 429);
//! [`media`] (product images and avatars: checked by content, re-encoded without metadata, thumbnails,
//! the object store); [`rajaongkir`] (shipping destinations and courier quotes, used by `app::shipping`);
//! [`error`] (the single `ApiError`);
//! [`config`]. Shared plumbing (secrets, token checks, metrics, shutdown) comes from
//! `pasar_service`.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod crash;
pub mod error;
pub mod http;
pub mod media;
pub mod midtrans;
pub mod passwords;
pub mod processes;
pub mod rajaongkir;
pub mod server;
pub mod throttle;

pub use config::Config;
pub use server::run;
