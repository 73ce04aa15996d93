//! Knobs the use cases read, with their defaults.
//!
//! TEMPORARY home: these belong in `Config` (being moved into the shared service crate by
//! another change right now); they are read once, at start-up, from the variables named below
//! and fold into `Config` at the merge.

use std::time::Duration;

/// Checkout limits and timing.
#[derive(Debug, Clone)]
pub struct Settings {
    /// An unanswered checkout younger than this is taken to be still running, and a retry with
    /// its key answers `Checkout in progress` (`CHECKOUT_IN_FLIGHT_SECS`, default 60). An older
    /// one is taken over by the retry. Keep it above the request timeout (30 s), which drops a
    /// request still running, so a takeover never races a live attempt.
    pub checkout_in_flight: Duration,
    /// Most open (unpaid, unexpired) checkouts one buyer may hold
    /// (`MAX_OPEN_CHECKOUTS_PER_BUYER`, default 3).
    pub max_open_checkouts: u32,
    /// Most units of one product in one checkout (`MAX_CHECKOUT_LINE_QUANTITY`, default 100).
    pub max_line_quantity: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            checkout_in_flight: Duration::from_secs(60),
            max_open_checkouts: 3,
            max_line_quantity: 100,
        }
    }
}

impl Settings {
    /// Reads the variables above; an unparsable one is an error naming it.
    pub fn from_env() -> anyhow::Result<Self> {
        fn read<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
            match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name} is not valid: {v:?}")),
                None => Ok(default),
            }
        }
        let default = Settings::default();
        Ok(Settings {
            checkout_in_flight: Duration::from_secs(read(
                "CHECKOUT_IN_FLIGHT_SECS",
                default.checkout_in_flight.as_secs(),
            )?),
            max_open_checkouts: read("MAX_OPEN_CHECKOUTS_PER_BUYER", default.max_open_checkouts)?,
            max_line_quantity: read("MAX_CHECKOUT_LINE_QUANTITY", default.max_line_quantity)?,
        })
    }
}
