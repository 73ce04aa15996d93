//! 600 concurrent failed logins against one account: the command API's memory and what the
//! clients were answered. Each login runs argon2id (19 MiB) unless something bounds it, so the
//! peak RSS shows whether password hashing is bounded (issue 7, item 6; goal: < 256 MB).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::stack::Stack;

/// What a burst of failed logins did to the command API and how it was answered.
pub struct Logins {
    /// Concurrent login attempts sent.
    pub attempts: usize,
    /// VmRSS before the burst, in KiB.
    pub rss_before_kib: u64,
    /// VmHWM (the process's peak RSS) after the burst, in KiB.
    pub peak_kib: u64,
    /// The highest VmRSS sampled during the burst, in KiB.
    pub sampled_peak_kib: u64,
    /// VmRSS two seconds after the last answer, in KiB.
    pub rss_after_kib: u64,
    /// Answered 401 (wrong password, checked).
    pub unauthorized: usize,
    /// Answered 429 (login throttled).
    pub throttled: usize,
    /// Answered 503 (no hashing slot free in time).
    pub busy: usize,
    /// Anything else, including transport errors.
    pub other: usize,
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
}

/// Reads a `Vm…:` line (in KiB) from `/proc/<pid>/status`.
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Registers one account, then fires `attempts` logins with a wrong password at once, sampling
/// the command API's RSS every 10 ms until the last answer.
pub async fn run(stack: &Stack, attempts: usize) -> anyhow::Result<Logins> {
    let pid = stack
        .pid("command-api")
        .ok_or_else(|| anyhow::anyhow!("the command API is not running"))?;
    let email = format!("victim-{}@pasar.test", uuid::Uuid::new_v4().simple());
    let body = json!({ "email": email, "password": "a-long-password", "full_name": "Victim" });
    let (status, body, _) = stack
        .command(reqwest::Method::POST, "/v1/auth/register", None, Some(body))
        .await;
    anyhow::ensure!(status == StatusCode::CREATED, "register: {status} {body}");
    let rss_before_kib = proc_status_kib(pid, "VmRSS").unwrap_or(0);
    let sampler = tokio::spawn(sample_peak(pid));
    let started = Instant::now();
    let statuses = burst(stack, &email, attempts).await;
    let elapsed = started.elapsed();
    sampler.abort();
    let sampled_peak_kib = sampler.await.unwrap_or_default();
    let peak_kib = proc_status_kib(pid, "VmHWM").unwrap_or(0);
    // Memory given back shows some time after the burst, not at the last answer.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after_kib = proc_status_kib(pid, "VmRSS").unwrap_or(0);
    let count = |want: Option<StatusCode>| statuses.iter().filter(|s| **s == want).count();
    let (unauthorized, throttled, busy) = (
        count(Some(StatusCode::UNAUTHORIZED)),
        count(Some(StatusCode::TOO_MANY_REQUESTS)),
        count(Some(StatusCode::SERVICE_UNAVAILABLE)),
    );
    Ok(Logins {
        attempts,
        rss_before_kib,
        peak_kib,
        sampled_peak_kib,
        rss_after_kib,
        unauthorized,
        throttled,
        busy,
        other: attempts - unauthorized - throttled - busy,
        elapsed,
    })
}

/// Sends every login at once on its own connection; `None` for a transport error.
async fn burst(stack: &Stack, email: &str, attempts: usize) -> Vec<Option<StatusCode>> {
    // Unbounded hashing can take minutes to answer them all in a debug build.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(300))
        .build()
        .expect("invariant: a default reqwest client builds");
    let url = format!("{}/v1/auth/login", stack.command_url);
    let requests = (0..attempts).map(|i| {
        let request = http
            .post(&url)
            .json(&json!({ "email": email, "password": format!("wrong-password-{i}") }));
        async move { request.send().await.ok().map(|r| r.status()) }
    });
    futures::future::join_all(requests).await
}

/// The highest VmRSS seen, sampled every 10 ms until aborted (the last value is kept by the
/// caller through VmHWM; this one shows whether the peak was a spike or a plateau).
async fn sample_peak(pid: u32) -> u64 {
    let mut peak = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    loop {
        tick.tick().await;
        match proc_status_kib(pid, "VmRSS") {
            Some(rss) => peak = peak.max(rss),
            None => return peak,
        }
    }
}

/// Prints the figures as a Markdown table.
pub fn print(l: &Logins) {
    let mb = |kib: u64| kib as f64 / 1024.0;
    let share = |n: usize| 100.0 * n as f64 / l.attempts.max(1) as f64;
    println!(
        "\n## {} concurrent failed logins on one account\n",
        l.attempts
    );
    println!("| RSS before | peak RSS (VmHWM) | RSS after | 401 | 429 | 503 | other | time |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {:.0} MB | {:.0} MB | {:.0} MB | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} s |",
        mb(l.rss_before_kib),
        mb(l.peak_kib.max(l.sampled_peak_kib)),
        mb(l.rss_after_kib),
        share(l.unauthorized),
        share(l.throttled),
        share(l.busy),
        share(l.other),
        l.elapsed.as_secs_f64()
    );
    println!("\nGoal: peak RSS below 256 MB.");
}
