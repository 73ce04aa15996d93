//! The simulator's shared state: its key, the failure knobs set through `/_sim` (or the Rust
//! handle) and the log of API calls. One `std` mutex guards it; it is never held across an
//! `.await`.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

/// One API call as the simulator answered it (`/_sim` calls are not recorded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    pub method: String,
    /// Path and query, e.g. `/api/v1/destination/domestic-destination?search=gambir`.
    pub path: String,
    /// Whether a `key` header was present (its value is never recorded).
    pub key_present: bool,
    pub status: u16,
}

/// What the gate in front of the API decided for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Answer this injected 5xx.
    Fail(u16),
    MissingKey,
    InvalidKey,
    /// Answer 429; `retry_after` in seconds when the header should be sent.
    RateLimited {
        retry_after: Option<u64>,
    },
    /// The key's quota is used up (429 until the quota is reset).
    QuotaExceeded,
    Pass,
}

#[derive(Default)]
struct Knobs {
    failures: VecDeque<u16>,
    rate_limited: u32,
    retry_after: Option<u64>,
    quota: Option<u32>,
    used: u32,
    latency: Duration,
    empty_couriers: BTreeSet<String>,
    calls: Vec<CallRecord>,
}

/// Everything the handlers share.
pub struct Inner {
    pub api_key: String,
    pub base_url: String,
    /// The quota given at start, restored by [`Inner::reset`].
    quota: Option<u32>,
    knobs: Mutex<Knobs>,
}

impl Inner {
    /// A simulator state with no knob set and an empty call log.
    pub fn new(api_key: String, base_url: String, quota: Option<u32>) -> Self {
        let knobs = Knobs {
            quota,
            ..Knobs::default()
        };
        Inner {
            api_key,
            base_url,
            quota,
            knobs: Mutex::new(knobs),
        }
    }

    fn knobs(&self) -> MutexGuard<'_, Knobs> {
        // A panic while holding this lock leaves plain data behind; keep serving.
        self.knobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Decides one call: injected failures first (they stand for the infrastructure), then
    /// the key, then forced 429s, then the quota (which only valid calls use up).
    pub fn admit(&self, key: Option<&str>) -> Gate {
        let mut knobs = self.knobs();
        if let Some(code) = knobs.failures.pop_front() {
            return Gate::Fail(code);
        }
        match key {
            None | Some("") => return Gate::MissingKey,
            Some(key) if key != self.api_key => return Gate::InvalidKey,
            Some(_) => {}
        }
        if knobs.rate_limited > 0 {
            knobs.rate_limited -= 1;
            return Gate::RateLimited {
                retry_after: knobs.retry_after,
            };
        }
        if knobs.quota.is_some_and(|quota| knobs.used >= quota) {
            return Gate::QuotaExceeded;
        }
        knobs.used += 1;
        Gate::Pass
    }

    /// How long each API call waits before it is answered.
    pub fn latency(&self) -> Duration {
        self.knobs().latency
    }

    /// Appends one answered API call to the log.
    pub fn record(&self, call: CallRecord) {
        self.knobs().calls.push(call);
    }

    /// The call log, oldest first.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.knobs().calls.clone()
    }

    /// The next `count` API calls answer `status` (a 5xx).
    pub fn fail_next(&self, count: u32, status: u16) {
        let mut knobs = self.knobs();
        knobs
            .failures
            .extend(std::iter::repeat_n(status, count as usize));
    }

    /// The next `count` calls with a valid key answer 429, with `Retry-After` if given.
    pub fn rate_limit_next(&self, count: u32, retry_after: Option<u64>) {
        let mut knobs = self.knobs();
        knobs.rate_limited = count;
        knobs.retry_after = retry_after;
    }

    /// Sets (or removes) the quota of calls with a valid key and starts counting afresh.
    pub fn set_quota(&self, quota: Option<u32>) {
        let mut knobs = self.knobs();
        knobs.quota = quota;
        knobs.used = 0;
    }

    /// Every later API call waits `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        self.knobs().latency = latency;
    }

    /// Whether `courier` is set to return zero services.
    pub fn is_empty_courier(&self, courier: &str) -> bool {
        self.knobs().empty_couriers.contains(courier)
    }

    /// Makes `courier` return zero services, or normal ones again.
    pub fn set_empty_courier(&self, courier: &str, empty: bool) {
        let mut knobs = self.knobs();
        if empty {
            knobs.empty_couriers.insert(courier.to_owned());
        } else {
            knobs.empty_couriers.remove(courier);
        }
    }

    /// Clears every knob and the call log; the quota goes back to the one given at start.
    pub fn reset(&self) {
        *self.knobs() = Knobs {
            quota: self.quota,
            ..Knobs::default()
        };
    }
}
