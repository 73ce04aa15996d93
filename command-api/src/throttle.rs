//! Login throttling after failures, per account (normalised email) and per client address.
//!
//! Every attempt counts as a failure when it begins ([`LoginThrottle::begin`]), so a burst of
//! concurrent guesses is throttled as it arrives rather than after the hashes finish. A success
//! clears the account's count ([`LoginThrottle::succeeded`]); an attempt whose password was never
//! checked (hashing was busy, the store was down) is handed back ([`LoginThrottle::not_checked`]).
//! After a key's first [`ThrottlePolicy::free_failures`] failures, each further one blocks the key
//! for `base_delay`, then twice that, and so on up to `max_delay`; a refused attempt is answered
//! [`Throttled`], which the HTTP layer turns into `429` with `Retry-After`.
//!
//! A success clears the account's count but only takes back its own attempt from the client
//! address's count: clearing it would let an attacker log in to an account of their own between
//! guesses and never be slowed down, while counting successes would throttle an office whose
//! people log in all day. A key is forgotten once it
//! has been quiet for [`ThrottlePolicy::forget_after`].
//!
//! **Per instance.** The counts live in this process's memory. Behind a load balancer with `n`
//! command API instances an attacker gets up to `n` times the free failures and backoff budget
//! (less with sticky routing), and a restart forgets everything. The client address is the TCP
//! peer, so behind a proxy it is the proxy's address unless the wiring takes it from a header the
//! proxy sets and we trust. A shared store (PostgreSQL, Redis) would lift both limits.
//!
//! IPv6 clients are counted per /64 prefix (what one subscriber usually gets), so rotating
//! through one's own prefix does not escape the per-address count.
//!
//! **Bounded.** Each table holds at most [`ThrottlePolicy::capacity`] keys. When one is full,
//! forgotten keys are pruned first, and if that is not enough the least recently seen tenth is
//! evicted. An attacker who fills the account table with invented emails can thus push a
//! victim's count out; the per-address count still slows that attacker down.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// An attempt refused because its account or client failed too often recently (429).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed logins; retry in {} s", retry_after.as_secs())]
pub struct Throttled {
    /// How long until the next attempt is allowed (`Retry-After`, rounded up to seconds).
    pub retry_after: Duration,
}

/// How one kind of key (accounts or client addresses) is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed without any delay.
    pub free_failures: u32,
    /// The delay after the first failure beyond the free ones; it doubles with each further one.
    pub base_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// A key quiet for this long starts again from zero.
    pub forget_after: Duration,
    /// The most keys kept.
    pub capacity: usize,
}

impl ThrottlePolicy {
    /// Accounts: 5 free failures, then 1 s, 2 s, 4 s … up to 15 min; 100,000 accounts kept.
    pub fn accounts() -> Self {
        Self {
            free_failures: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(60 * 60),
            capacity: 100_000,
        }
    }

    /// Client addresses: like accounts, but 20 free failures, since many people can share one
    /// address (an office, a mobile carrier's NAT).
    pub fn clients() -> Self {
        Self {
            free_failures: 20,
            ..Self::accounts()
        }
    }

    /// How long a key with `failures` failures is blocked after the latest one.
    fn delay(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free_failures + 1) else {
            return Duration::ZERO;
        };
        // 2^31 s is far beyond any sensible cap; stop doubling there to avoid overflow.
        let factor = 1u32 << beyond.min(31);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// What one key has done lately.
#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    blocked_until: Instant,
    last_seen: Instant,
}

/// The records of one kind of key, bounded by its policy's capacity.
#[derive(Debug)]
struct Table<K> {
    policy: ThrottlePolicy,
    records: HashMap<K, Record>,
}

impl<K: Hash + Eq + Clone> Table<K> {
    fn new(policy: ThrottlePolicy) -> Self {
        Self {
            policy,
            records: HashMap::new(),
        }
    }

    /// The time left on `key`'s block, if any.
    fn blocked(&self, key: &K, now: Instant) -> Option<Duration> {
        let record = self.records.get(key)?;
        let fresh = now.saturating_duration_since(record.last_seen) < self.policy.forget_after;
        (fresh && now < record.blocked_until).then(|| record.blocked_until - now)
    }

    /// Counts a failure for `key` and blocks it for the policy's delay.
    fn fail(&mut self, key: &K, now: Instant) {
        if !self.records.contains_key(key) {
            self.make_room(now);
        }
        let forget_after = self.policy.forget_after;
        let record = self.records.entry(key.clone()).or_insert(Record {
            failures: 0,
            blocked_until: now,
            last_seen: now,
        });
        if now.saturating_duration_since(record.last_seen) >= forget_after {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last_seen = now;
        record.blocked_until = now + self.policy.delay(record.failures);
    }

    /// Takes back one failure (an attempt that was never checked); the block stays.
    fn refund(&mut self, key: &K) {
        if let Some(record) = self.records.get_mut(key) {
            record.failures = record.failures.saturating_sub(1);
        }
    }

    fn clear(&mut self, key: &K) {
        self.records.remove(key);
    }

    /// Makes room for one more key: forgets quiet keys, then the least recently seen tenth.
    fn make_room(&mut self, now: Instant) {
        if self.records.len() < self.policy.capacity {
            return;
        }
        let forget_after = self.policy.forget_after;
        self.records
            .retain(|_, r| now.saturating_duration_since(r.last_seen) < forget_after);
        if self.records.len() < self.policy.capacity {
            return;
        }
        let mut seen: Vec<Instant> = self.records.values().map(|r| r.last_seen).collect();
        let evict = (self.policy.capacity / 10).max(1);
        let (_, cutoff, _) = seen.select_nth_unstable(evict - 1);
        let cutoff = *cutoff;
        self.records.retain(|_, r| r.last_seen > cutoff);
    }
}

/// The keys of one login attempt, returned by [`LoginThrottle::begin`] and handed back to say
/// how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginAttempt {
    account: String,
    client: IpAddr,
}

/// Per-account and per-address login throttling, shared by all requests of one instance.
#[derive(Debug)]
pub struct LoginThrottle {
    tables: Mutex<(Table<String>, Table<IpAddr>)>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self::new(ThrottlePolicy::accounts(), ThrottlePolicy::clients())
    }
}

impl LoginThrottle {
    /// A throttle with one policy for accounts and one for client addresses.
    pub fn new(accounts: ThrottlePolicy, clients: ThrottlePolicy) -> Self {
        Self {
            tables: Mutex::new((Table::new(accounts), Table::new(clients))),
        }
    }

    /// Starts an attempt to log in to `account` (a normalised email) from `client` at `now`,
    /// counting it as a failure until told otherwise.
    ///
    /// Fails with [`Throttled`] (counting nothing) while the account or the address is blocked;
    /// `retry_after` is the longer of the two blocks.
    pub fn begin(
        &self,
        account: &str,
        client: IpAddr,
        now: Instant,
    ) -> Result<LoginAttempt, Throttled> {
        let attempt = LoginAttempt {
            account: account.to_owned(),
            client: client_key(client),
        };
        let client = attempt.client;
        let mut tables = self.lock();
        let (accounts, clients) = &mut *tables;
        let blocked = [
            accounts.blocked(&attempt.account, now),
            clients.blocked(&client, now),
        ];
        if let Some(left) = blocked.into_iter().flatten().max() {
            return Err(Throttled {
                retry_after: round_up_to_seconds(left),
            });
        }
        accounts.fail(&attempt.account, now);
        clients.fail(&client, now);
        Ok(attempt)
    }

    /// The password was right: the account starts again from zero, and the address takes back
    /// this attempt only (its earlier failures stay).
    pub fn succeeded(&self, attempt: LoginAttempt) {
        let mut tables = self.lock();
        tables.0.clear(&attempt.account);
        tables.1.refund(&attempt.client);
    }

    /// The password was never checked (hashing was busy, a dependency failed): the attempt no
    /// longer counts as a failure. Blocks already started stay.
    pub fn not_checked(&self, attempt: LoginAttempt) {
        let mut tables = self.lock();
        tables.0.refund(&attempt.account);
        tables.1.refund(&attempt.client);
    }

    /// How many accounts and client addresses are tracked.
    pub fn len(&self) -> (usize, usize) {
        let tables = self.lock();
        (tables.0.records.len(), tables.1.records.len())
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Table<String>, Table<IpAddr>)> {
        // A panic while holding the lock leaves counts that are still meaningful; keep going.
        self.tables
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The key an address is counted under: IPv6 addresses by their /64 prefix, since one
/// subscriber usually holds a whole /64 and could otherwise rotate through it; IPv4-mapped IPv6
/// addresses as the IPv4 address.
fn client_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V4(_) => client,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

fn round_up_to_seconds(d: Duration) -> Duration {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Duration::from_secs(whole)
}

#[cfg(test)]
#[path = "throttle_tests.rs"]
mod tests;
