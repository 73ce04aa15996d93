//! The runtime's metrics, one set for every processor, through the `metrics` facade (the
//! binary installs the Prometheus recorder), each labelled `processor="<name>"`:
//!
//! - `pasar_processor_position` (gauge): the checkpoint's global sequence number;
//! - `pasar_processor_lag_events` (gauge): events in the log after the checkpoint (an
//!   estimate from sequence numbers, which a rolled-back append can leave gaps in);
//! - `pasar_processor_lag_seconds` (gauge): age of the oldest event not yet covered, 0 when
//!   caught up;
//! - `pasar_processor_events_total`, `pasar_processor_batches_total` (counters);
//! - `pasar_processor_errors_total{kind="transient|fatal"}` (counter);
//! - `pasar_processor_active` (gauge): 1 while this instance holds the leader lock, 0 on
//!   standby.

use chrono::{DateTime, Utc};

use crate::Position;

/// The metric handles of one processor.
pub(crate) struct ProcessorMetrics {
    name: String,
}

impl ProcessorMetrics {
    pub fn new(name: &str) -> Self {
        ProcessorMetrics {
            name: name.to_owned(),
        }
    }

    /// A batch up to `position` committed.
    pub fn committed(&self, position: Position, events: usize) {
        let name = self.name.clone();
        metrics::gauge!("pasar_processor_position", "processor" => name.clone())
            .set(position.global as f64);
        metrics::counter!("pasar_processor_events_total", "processor" => name.clone())
            .increment(events as u64);
        metrics::counter!("pasar_processor_batches_total", "processor" => name).increment(1);
    }

    /// Lag behind `head`; `oldest_pending` is the recorded time of the first event not yet
    /// covered (`None` when caught up).
    pub fn lag(&self, position: Position, head: Position, oldest_pending: Option<DateTime<Utc>>) {
        let events = (head.global - position.global).max(0);
        let seconds = oldest_pending.map_or(0.0, |at| {
            (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
        });
        metrics::gauge!("pasar_processor_lag_events", "processor" => self.name.clone())
            .set(events as f64);
        metrics::gauge!("pasar_processor_lag_seconds", "processor" => self.name.clone())
            .set(seconds);
    }

    pub fn error(&self, fatal: bool) {
        let kind = if fatal { "fatal" } else { "transient" };
        metrics::counter!("pasar_processor_errors_total", "processor" => self.name.clone(), "kind" => kind)
            .increment(1);
    }

    pub fn active(&self, active: bool) {
        metrics::gauge!("pasar_processor_active", "processor" => self.name.clone())
            .set(if active { 1.0 } else { 0.0 });
    }
}
