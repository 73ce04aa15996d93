//! Snap `expiry` (reference §3.2) and the simulator's clock.
//!
//! A create may carry `expiry: {start_time?, unit, duration}`. Midtrans accepts a create
//! without one (the payment then stays open for the method's default, 24 h for a VA), so the
//! simulator accepts it too but records `expiry_missing: true`, visible at
//! `/_sim/transactions/{id}`, so a test can assert that the shop sends one.
//!
//! The window opens at `start_time`, or when the customer picks a payment method if none was
//! given. Once it has closed, a pending (or authorised) transaction moves to `expire` with a
//! notification, and a Snap order whose customer never chose a method can no longer be paid.
//! The clock is real time plus an offset that tests move with [`Inner::advance_clock`].

use std::sync::Arc;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;

use super::inner::{Dispatch, Inner};
use super::model::{CREATED, SimTransaction, jakarta_now, jakarta_offset};
use super::state;

/// Midtrans caps the effective expiry at seven days and refuses less than 20 seconds.
const MAX_SECONDS: i64 = 7 * 24 * 3600;
const MIN_SECONDS: i64 = 20;

/// The `expiry` object of a Snap create, as understood by the simulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SimExpiry {
    /// `start_time` exactly as sent (`yyyy-MM-dd HH:mm:ss Z`), if any.
    pub start_time: Option<String>,
    pub unit: String,
    pub duration: i64,
    /// The window's effective length in seconds, capped at seven days.
    pub seconds: i64,
}

fn unit_seconds(unit: &str) -> Option<i64> {
    match unit {
        "minute" | "minutes" => Some(60),
        "hour" | "hours" => Some(3600),
        "day" | "days" => Some(24 * 3600),
        _ => None,
    }
}

fn parse_start(raw: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S %z").ok()
}

/// Reads `expiry` from a create body; `None` when absent. Malformed values add a validation
/// message (the texts are the simulator's own; Midtrans' are unconfirmed, §10).
pub fn parse_expiry(body: &Value, errors: &mut Vec<String>) -> Option<SimExpiry> {
    let expiry = body.get("expiry").filter(|v| !v.is_null())?;
    let before = errors.len();
    let start_time = match &expiry["start_time"] {
        Value::Null => None,
        Value::String(s) if parse_start(s).is_some() => Some(s.clone()),
        _ => {
            errors.push("expiry.start_time format must be yyyy-MM-dd HH:mm:ss Z".into());
            None
        }
    };
    let unit = expiry["unit"].as_str().unwrap_or_default().to_owned();
    let per_unit = unit_seconds(&unit);
    if per_unit.is_none() {
        errors.push("expiry.unit must be one of day, hour, minute".into());
    }
    let duration = expiry["duration"].as_i64();
    let seconds = per_unit.zip(duration).map(|(u, d)| u.saturating_mul(d));
    match seconds {
        Some(s) if s >= MIN_SECONDS => {}
        _ => errors.push("expiry.duration must be an integer of at least 20 seconds".into()),
    }
    (errors.len() == before).then(|| SimExpiry {
        start_time,
        unit,
        duration: duration.unwrap_or_default(),
        seconds: seconds.unwrap_or_default().min(MAX_SECONDS),
    })
}

fn parse_midtrans_time(raw: &str) -> Option<DateTime<FixedOffset>> {
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S").ok()?;
    naive.and_local_timezone(jakarta_offset()).single()
}

impl SimTransaction {
    /// When the payment window closes: `start_time` (or the moment a method was chosen) plus
    /// the duration. `None` without an expiry, or before a method was chosen without a start.
    pub fn deadline(&self) -> Option<DateTime<FixedOffset>> {
        let expiry = self.expiry.as_ref()?;
        let start = match &expiry.start_time {
            Some(start) => parse_start(start)?,
            None => parse_midtrans_time(self.transaction_time.as_deref()?)?,
        };
        Some(start + Duration::seconds(expiry.seconds))
    }

    /// Whether the window has closed at `now`.
    pub fn window_closed(&self, now: DateTime<FixedOffset>) -> bool {
        self.deadline().is_some_and(|deadline| deadline <= now)
    }

    /// A transaction Midtrans would now expire on its own.
    fn overdue(&self, now: DateTime<FixedOffset>) -> bool {
        matches!(self.status.as_str(), "pending" | "authorize") && self.window_closed(now)
    }
}

impl Inner {
    /// The simulator's "now" in Jakarta time: real time plus the offset tests added.
    pub fn now(&self) -> DateTime<FixedOffset> {
        jakarta_now() + Duration::seconds(self.clock_offset())
    }

    /// Expires every transaction whose window has closed; returns their notifications.
    pub fn expire_overdue(&self) -> Vec<Dispatch> {
        let now = self.now();
        let mut store = self.store();
        // Runs on every Core API call: look without cloning every transaction.
        let overdue = store.ids_where(|tx| tx.overdue(now));
        let mut dispatches = Vec::new();
        for order_id in overdue {
            let Ok(tx) = store.get_mut(&order_id) else {
                continue;
            };
            state::apply_transition(tx, "expire", None, now);
            tracing::info!(%order_id, "midtrans-sim: payment window closed, transaction expired");
            let body = self.notification(tx, "expire", None);
            dispatches.push(self.dispatch(tx, vec![body]));
        }
        dispatches
    }

    /// [`Inner::expire_overdue`], then waits for the first try of each notification.
    pub async fn expire_overdue_and_wait(&self) -> Vec<String> {
        let mut expired = Vec::new();
        for dispatch in self.expire_overdue() {
            let order_id = dispatch.order_id.clone();
            if let Err(e) = self.send_and_wait(dispatch).await {
                tracing::warn!(%order_id, error = %e, "expire notification not delivered");
            }
            expired.push(order_id);
        }
        expired
    }

    /// [`Inner::expire_overdue`] with notifications sent in the background (API paths).
    pub fn expire_overdue_in_background(&self) {
        for dispatch in self.expire_overdue() {
            self.send_in_background(dispatch);
        }
    }

    /// Moves the clock forward and expires what is now overdue. Returns their order ids.
    pub async fn advance_clock(&self, by: std::time::Duration) -> Vec<String> {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        self.add_clock_offset(seconds);
        self.expire_overdue_and_wait().await
    }
}

/// Expires overdue transactions once a second of real time, until the simulator stops, so a
/// standalone simulator sends `expire` notifications on its own as Midtrans does (§8.3: within
/// about 90 s of the deadline).
pub async fn run_ticker(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => inner.expire_overdue_in_background(),
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
    }
}

/// Whether a customer on the Snap page of `tx` can still pick a payment method.
pub fn page_closed(tx: &SimTransaction, now: DateTime<FixedOffset>) -> bool {
    tx.status == CREATED && tx.window_closed(now)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(expiry: Value) -> (Option<SimExpiry>, Vec<String>) {
        let mut errors = Vec::new();
        let parsed = parse_expiry(&json!({ "expiry": expiry }), &mut errors);
        (parsed, errors)
    }

    #[test]
    fn units_plurals_start_time_and_the_seven_day_cap() {
        let (hours, _) = parse(json!({ "unit": "hours", "duration": 2 }));
        let (start, _) = parse(
            json!({ "start_time": "2026-01-15 10:00:00 +0700", "unit": "minute", "duration": 1 }),
        );
        let (long, _) = parse(json!({ "unit": "day", "duration": 30 }));

        assert_eq!(hours.unwrap().seconds, 7200);
        assert_eq!(
            start.unwrap().start_time.as_deref(),
            Some("2026-01-15 10:00:00 +0700")
        );
        assert_eq!(long.unwrap().seconds, MAX_SECONDS);
    }

    #[test]
    fn malformed_or_too_short_expiries_are_validation_errors() {
        for bad in [
            json!({ "unit": "second", "duration": 30 }),
            json!({ "unit": "minute", "duration": 0 }),
            json!({ "unit": "minute" }),
            json!({ "start_time": "2026-01-15T10:00:00Z", "unit": "minute", "duration": 5 }),
        ] {
            let (parsed, errors) = parse(bad.clone());
            assert!(parsed.is_none() && !errors.is_empty(), "{bad}");
        }
        let mut errors = Vec::new();
        assert!(parse_expiry(&json!({}), &mut errors).is_none());
        assert!(errors.is_empty(), "no expiry is not an error");
    }
}
