//! Tests of [`super::LoginThrottle`]; time is passed in, so nothing sleeps.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::*;

const ALICE: &str = "alice@pasar.test";
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn address(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

/// A throttle whose address policy never gets in the way of account tests.
fn accounts_only() -> LoginThrottle {
    let lenient = ThrottlePolicy {
        free_failures: u32::MAX - 1,
        ..ThrottlePolicy::clients()
    };
    LoginThrottle::new(ThrottlePolicy::accounts(), lenient)
}

/// Fails `n` attempts on `account` from `client` at `now`, each allowed.
#[track_caller]
fn fail(throttle: &LoginThrottle, account: &str, client: IpAddr, now: Instant, n: usize) {
    for i in 0..n {
        if let Err(e) = throttle.begin(account, client, now) {
            panic!("attempt {} was refused: {e}", i + 1);
        }
    }
}

#[test]
fn the_first_five_failures_are_free_and_the_sixth_blocks_for_a_second() {
    let throttle = accounts_only();
    let t0 = Instant::now();

    fail(&throttle, ALICE, HOME, t0, 6);

    assert_eq!(
        throttle.begin(ALICE, HOME, t0),
        Err(Throttled {
            retry_after: secs(1)
        })
    );
    assert!(throttle.begin(ALICE, HOME, t0 + secs(1)).is_ok());
}

#[test]
fn each_further_failure_doubles_the_block() {
    let throttle = accounts_only();
    let mut now = Instant::now();
    fail(&throttle, ALICE, HOME, now, 5);

    let mut blocks = Vec::new();
    for _ in 0..5 {
        fail(&throttle, ALICE, HOME, now, 1);
        let Err(Throttled { retry_after }) = throttle.begin(ALICE, HOME, now) else {
            panic!("a failure beyond the free ones blocks");
        };
        blocks.push(retry_after.as_secs());
        now += retry_after;
    }

    assert_eq!(blocks, [1, 2, 4, 8, 16]);
}

#[test]
fn the_block_is_capped_at_fifteen_minutes() {
    let policy = ThrottlePolicy::accounts();

    assert_eq!(policy.delay(5 + 10), secs(512));
    assert_eq!(policy.delay(5 + 11), secs(15 * 60), "not 1,024 s");
    assert_eq!(policy.delay(u32::MAX), secs(15 * 60));
}

#[test]
fn a_success_clears_the_account_but_not_the_address() {
    let policy = ThrottlePolicy {
        free_failures: 2,
        ..ThrottlePolicy::accounts()
    };
    let throttle = LoginThrottle::new(policy, policy);
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0, 3);
    let t1 = t0 + secs(1);
    let attempt = throttle.begin(ALICE, HOME, t1).expect("the block is over");

    throttle.succeeded(attempt);

    let from_elsewhere = throttle.begin(ALICE, address(1), t1);
    assert!(from_elsewhere.is_ok(), "the account starts again from zero");
    let t2 = t1 + secs(2);
    fail(&throttle, "bob@pasar.test", HOME, t2, 1);
    assert_eq!(
        throttle.begin("carol@pasar.test", HOME, t2),
        Err(Throttled {
            retry_after: secs(2)
        }),
        "the address kept its three failures, so a fourth blocks for 2 s"
    );
}

#[test]
fn many_accounts_from_one_address_are_throttled_by_address() {
    let throttle = LoginThrottle::default();
    let t0 = Instant::now();

    for i in 0..21 {
        let account = format!("guess-{i}@pasar.test");
        assert!(throttle.begin(&account, HOME, t0).is_ok(), "attempt {i}");
    }

    assert_eq!(
        throttle.begin("another@pasar.test", HOME, t0),
        Err(Throttled {
            retry_after: secs(1)
        })
    );
    assert!(throttle.begin("another@pasar.test", address(2), t0).is_ok());
}

#[test]
fn an_attempt_that_was_never_checked_does_not_count() {
    let throttle = accounts_only();
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0, 4);

    for _ in 0..10 {
        let attempt = throttle.begin(ALICE, HOME, t0).expect("not blocked");
        throttle.not_checked(attempt);
    }

    fail(&throttle, ALICE, HOME, t0, 2);
    assert_eq!(
        throttle.begin(ALICE, HOME, t0),
        Err(Throttled {
            retry_after: secs(1)
        }),
        "only the sixth checked failure blocks"
    );
}

#[test]
fn a_refused_attempt_does_not_lengthen_the_block() {
    let throttle = accounts_only();
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0, 6);

    for _ in 0..100 {
        assert!(throttle.begin(ALICE, HOME, t0).is_err());
    }

    assert!(throttle.begin(ALICE, HOME, t0 + secs(1)).is_ok());
}

#[test]
fn a_quiet_account_starts_again_from_zero() {
    let throttle = accounts_only();
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0, 6);

    let later = t0 + ThrottlePolicy::accounts().forget_after;

    fail(&throttle, ALICE, HOME, later, 5);
    assert!(
        throttle.begin(ALICE, HOME, later).is_ok(),
        "five free again"
    );
}

#[test]
fn the_retry_after_is_rounded_up_to_whole_seconds() {
    let throttle = accounts_only();
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0, 6);
    fail(&throttle, ALICE, HOME, t0 + secs(1), 1);

    let refused = throttle.begin(ALICE, HOME, t0 + Duration::from_millis(1500));

    assert_eq!(
        refused,
        Err(Throttled {
            retry_after: secs(2)
        })
    );
}

#[test]
fn the_tables_never_grow_beyond_their_capacity() {
    let policy = ThrottlePolicy {
        capacity: 100,
        ..ThrottlePolicy::accounts()
    };
    let throttle = LoginThrottle::new(policy, policy);
    let t0 = Instant::now();

    for i in 0..10_000u32 {
        let now = t0 + Duration::from_millis(u64::from(i));
        let _ = throttle.begin(&format!("spray-{i}@pasar.test"), address(i), now);
    }

    let (accounts, clients) = throttle.len();
    assert!(
        accounts <= 100 && clients <= 100,
        "{accounts} accounts, {clients} clients"
    );
    assert!(
        accounts >= 90,
        "only about a tenth is evicted at a time: {accounts}"
    );
}

#[test]
fn a_full_table_evicts_the_least_recently_seen_first() {
    let policy = ThrottlePolicy {
        capacity: 10,
        ..ThrottlePolicy::accounts()
    };
    let throttle = LoginThrottle::new(policy, ThrottlePolicy::clients());
    let t0 = Instant::now();
    fail(&throttle, ALICE, HOME, t0 + secs(100), 6);
    for i in 0..9u64 {
        fail(
            &throttle,
            &format!("old-{i}@pasar.test"),
            address(1),
            t0 + secs(i),
            1,
        );
    }

    fail(&throttle, "new@pasar.test", address(1), t0 + secs(200), 1);

    assert!(
        throttle.begin(ALICE, address(3), t0 + secs(100)).is_err(),
        "the most recently seen account keeps its block"
    );
    assert_eq!(throttle.len().0, 10);
}

#[test]
fn quiet_keys_are_pruned_before_recent_ones_are_evicted() {
    let policy = ThrottlePolicy {
        capacity: 10,
        ..ThrottlePolicy::accounts()
    };
    let throttle = LoginThrottle::new(policy, ThrottlePolicy::clients());
    let t0 = Instant::now();
    for i in 0..10u64 {
        fail(&throttle, &format!("old-{i}@pasar.test"), address(1), t0, 1);
    }

    let later = t0 + policy.forget_after;
    fail(&throttle, "new@pasar.test", address(2), later, 1);

    assert_eq!(throttle.len().0, 1, "all ten quiet accounts were forgotten");
}

#[test]
fn successes_never_throttle_an_address() {
    let throttle = LoginThrottle::default();
    let t0 = Instant::now();

    for i in 0..100 {
        let attempt = throttle
            .begin(&format!("user-{i}@pasar.test"), HOME, t0)
            .expect("no failures yet");
        throttle.succeeded(attempt);
    }

    assert!(throttle.begin(ALICE, HOME, t0).is_ok());
}

#[test]
fn ipv6_clients_are_counted_by_their_slash_64() {
    let throttle = LoginThrottle::default();
    let t0 = Instant::now();
    let host = |n: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 7, 0, 0, 0, n));

    for i in 0..21 {
        let account = format!("guess-{i}@pasar.test");
        assert!(throttle.begin(&account, host(i), t0).is_ok(), "attempt {i}");
    }

    let next = throttle.begin("another@pasar.test", host(999), t0);
    assert_eq!(
        next,
        Err(Throttled {
            retry_after: secs(1)
        })
    );
    assert_eq!(throttle.len().1, 1);
}

#[test]
fn an_ipv4_mapped_address_counts_as_its_ipv4_address() {
    let mapped = IpAddr::V6(Ipv4Addr::new(203, 0, 113, 7).to_ipv6_mapped());

    assert_eq!(client_key(mapped), HOME);
}
