//! The soak: buyers and sellers drive the real binaries while a chaos task kills services with
//! SIGKILL, restarts PostgreSQL and NATS, and Midtrans notifications arrive duplicated,
//! reordered and late. Afterwards [`invariants`] reads the log and JetStream and says what, if
//! anything, broke.
//!
//! - [`load`]: the buyers' and sellers' loops (HTTP only, like any client).
//! - [`chaos`]: the kills and restarts.
//! - [`invariants`]: the checks, from the log itself (never from a projection).
//!
//! Run it with `pasar-bench soak --minutes 5` (release binaries); the `soak` test in the
//! `tests` crate runs a short form in CI.

pub mod chaos;
pub mod invariants;
pub mod load;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::midtrans_sim::RetrySchedule;
use crate::stack::Stack;

/// How hard and how long.
#[derive(Debug, Clone)]
pub struct Options {
    pub duration: Duration,
    pub buyers: usize,
    pub sellers: usize,
    /// A random service is killed (SIGKILL) and restarted this often.
    pub kill_every: Duration,
    /// Restart the machine's PostgreSQL once, a third of the way in.
    pub restart_postgres: bool,
    /// Restart the machine's NATS once, two thirds of the way in.
    pub restart_nats: bool,
    /// How long an unpaid order holds its stock (`PAYMENT_TIMEOUT_SECS`).
    pub payment_timeout: Duration,
}

impl Options {
    /// The full soak: 50 buyers, 10 sellers, a kill every 20 s, both restarts.
    pub fn full(duration: Duration) -> Self {
        Options {
            duration,
            buyers: 50,
            sellers: 10,
            kill_every: Duration::from_secs(20),
            restart_postgres: true,
            restart_nats: true,
            payment_timeout: Duration::from_secs(20),
        }
    }
}

/// What the soak did and what it found.
#[derive(Debug, Default)]
pub struct Report {
    pub load: load::Tally,
    pub chaos: Vec<String>,
    pub checks: invariants::Checks,
    pub wall: Duration,
}

impl Report {
    /// Whether every invariant held.
    pub fn passed(&self) -> bool {
        self.checks.violations.is_empty()
    }

    /// A Markdown summary.
    pub fn render(&self) -> String {
        let l = &self.load;
        let c = &self.checks;
        let mut out = format!(
            "## Soak ({:.0} s)\n\n| measure | value |\n|---|---|\n\
             | checkouts answered 201 | {} |\n| checkouts refused (409/422/429) | {} |\n\
             | checkouts answered 5xx or no answer (during kills) | {} |\n\
             | replays answered like the original | {} of {} |\n\
             | payments made / duplicated / reordered / late | {} / {} / {} / {} |\n\
             | products checked | {} |\n| orders paid | {} |\n| reservations checked | {} |\n\
             | settlements checked | {} |\n| log events | {} |\n| JetStream messages | {} |\n\
             | chaos | {} |\n| violations | {} |\n",
            self.wall.as_secs_f64(),
            l.placed,
            l.refused,
            l.failed,
            l.replays_matching,
            l.replays,
            l.paid,
            l.duplicated,
            l.reordered,
            l.late,
            c.products,
            c.paid_orders,
            c.reservations,
            c.settlements,
            c.log_events,
            c.jetstream_messages
                .map_or_else(|| "not checked".into(), |n| n.to_string()),
            self.chaos.join("; "),
            c.violations.len(),
        );
        for v in c.violations.iter().take(20) {
            out.push_str(&format!("\n- {v}"));
        }
        out
    }
}

/// Runs the soak against a fresh stack of the binaries beside this executable.
pub async fn run(options: Options) -> anyhow::Result<Report> {
    let started = Instant::now();
    let run_id = Uuid::new_v4().simple().to_string();
    let stream = format!("SOAK_{}", &run_id[..12]).to_uppercase();
    let prefix = format!("soak{}", &run_id[..12]);
    let timeout = options.payment_timeout.as_secs().to_string();
    let stack = Stack::start_with(&[
        ("RUST_LOG", "error"),
        ("PAYMENT_TIMEOUT_SECS", &timeout),
        ("EXPIRY_SWEEP_MS", "1000"),
        ("PUBLISHER_ENABLED", "true"),
        ("PUBLISHER_STREAM", &stream),
        ("PUBLISHER_SUBJECT_PREFIX", &prefix),
        // The soak exercises payments and stock, not shipping: checkout without quotes.
        ("RAJAONGKIR_URL", ""),
        ("RAJAONGKIR_API_KEY", ""),
    ])
    .await
    .context("starting the stack")?;
    // Deliveries that fail while the command API is down are retried soon, not in minutes.
    stack.sim.set_retry_schedule(Some(RetrySchedule::fixed(vec![
        Duration::from_secs(1),
        Duration::from_secs(3),
        Duration::from_secs(10),
    ])));
    let client = load::Client::of(&stack);
    let shop = load::open_shop(&client, options.sellers).await?;

    let stop = CancellationToken::new();
    let tally = Arc::new(load::Counters::default());
    let mut buyers = load::spawn_buyers(&client, &shop, options.buyers, &tally, &stop).await?;
    buyers.push(load::spawn_restocking(&client, &shop, &stop));
    let chaos_stop = stop.clone();
    let chaos_options = options.clone();
    let chaos = tokio::spawn(async move {
        let mut stack = stack;
        let log = chaos::run(&mut stack, &chaos_options, &chaos_stop).await;
        (stack, log)
    });

    tokio::time::sleep(options.duration).await;
    stop.cancel();
    for buyer in buyers {
        let _ = buyer.await;
    }
    let (mut stack, chaos_log) = chaos.await.context("the chaos task panicked")?;
    chaos::heal(&mut stack).await?;

    // Every reservation taken during the run has expired or been settled by now, once the
    // sweeper has had a few intervals to act.
    let checks = invariants::settle(&stack, &stream, options.payment_timeout).await?;
    Ok(Report {
        load: tally.snapshot(),
        chaos: chaos_log,
        checks,
        wall: started.elapsed(),
    })
}
