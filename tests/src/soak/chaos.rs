//! The soak's chaos: SIGKILL of a random service at a fixed interval (restarted at once on its
//! old address), one restart of the machine's PostgreSQL and one of its NATS.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use rand::seq::SliceRandom as _;
use tokio_util::sync::CancellationToken;

use super::Options;
use crate::stack::Stack;

const SERVICES: [&str; 3] = ["command-api", "projector", "query-api"];

/// Kills and restarts until `stop`; returns what it did, in order.
pub async fn run(stack: &mut Stack, options: &Options, stop: &CancellationToken) -> Vec<String> {
    let started = Instant::now();
    let mut log = Vec::new();
    let (mut postgres_done, mut nats_done) = (!options.restart_postgres, !options.restart_nats);
    let mut next_kill = started + options.kill_every;
    loop {
        let tick = tokio::time::sleep(Duration::from_millis(250));
        tokio::select! {
            () = stop.cancelled() => return log,
            () = tick => {}
        }
        let at = started.elapsed().as_secs();
        for name in stack.exited() {
            log.push(format!("{at}s: {name} exited by itself"));
            restart(stack, &name, &mut log, at).await;
        }
        if !postgres_done && started.elapsed() >= options.duration / 3 {
            postgres_done = true;
            log.push(match restart_postgres().await {
                Ok(()) => format!("{at}s: PostgreSQL restarted"),
                Err(e) => format!("{at}s: PostgreSQL restart failed: {e:#}"),
            });
        }
        if !nats_done && started.elapsed() >= options.duration * 2 / 3 {
            nats_done = true;
            log.push(match restart_nats().await {
                Ok(()) => format!("{at}s: NATS restarted"),
                Err(e) => format!("{at}s: NATS restart failed: {e:#}"),
            });
        }
        if Instant::now() >= next_kill {
            next_kill += options.kill_every;
            let name = *SERVICES
                .choose(&mut rand::thread_rng())
                .expect("three services");
            stack.kill(name);
            log.push(format!("{at}s: kill -9 {name}"));
            restart(stack, name, &mut log, at).await;
        }
    }
}

async fn restart(stack: &mut Stack, name: &str, log: &mut Vec<String>, at: u64) {
    if let Err(e) = stack.restart(name).await {
        log.push(format!("{at}s: {name} did not come back: {e:#}"));
    }
}

/// After the run: PostgreSQL and NATS up, every service running and ready.
pub async fn heal(stack: &mut Stack) -> anyhow::Result<()> {
    if !postgres_up() {
        start_postgres()?;
        wait_for("PostgreSQL", postgres_up).await?;
    }
    if !nats_up() {
        start_nats()?;
        wait_for("NATS", nats_up).await?;
    }
    for name in stack.exited() {
        stack.restart(&name).await?;
    }
    Ok(())
}

fn postgres_up() -> bool {
    Command::new("pg_isready")
        .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
        .status()
        .is_ok_and(|s| s.success())
}

fn nats_up() -> bool {
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:4222".parse().expect("an address"),
        Duration::from_millis(500),
    )
    .is_ok()
}

async fn wait_for(what: &str, up: fn() -> bool) -> anyhow::Result<()> {
    for _ in 0..120 {
        if up() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    bail!("{what} is not up after 30 s")
}

fn cluster_version() -> anyhow::Result<String> {
    std::fs::read_dir("/etc/postgresql")
        .context("listing /etc/postgresql")?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .next()
        .context("no PostgreSQL cluster under /etc/postgresql")
}

fn pg_ctlcluster(action: &str) -> anyhow::Result<()> {
    let status = Command::new("pg_ctlcluster")
        .args([
            "--skip-systemctl-redirect",
            &cluster_version()?,
            "main",
            action,
        ])
        .status()
        .context("running pg_ctlcluster")?;
    if !status.success() {
        bail!("pg_ctlcluster {action}: {status}");
    }
    Ok(())
}

fn start_postgres() -> anyhow::Result<()> {
    pg_ctlcluster("start")
}

async fn restart_postgres() -> anyhow::Result<()> {
    pg_ctlcluster("restart")?;
    wait_for("PostgreSQL", postgres_up).await
}

fn start_nats() -> anyhow::Result<()> {
    let status = Command::new("start-stop-daemon")
        .args([
            "--start",
            "--oknodo",
            "--background",
            "--exec",
            "/usr/sbin/nats-server",
            "--",
            "-a",
            "127.0.0.1",
            "-p",
            "4222",
            "-js",
            "-sd",
            "/var/lib/nats-server",
            "-l",
            "/var/log/nats-server.log",
        ])
        .status()
        .context("running start-stop-daemon")?;
    if !status.success() {
        bail!("starting nats-server: {status}");
    }
    Ok(())
}

async fn restart_nats() -> anyhow::Result<()> {
    let _ = Command::new("pkill")
        .args(["-TERM", "-x", "nats-server"])
        .status();
    for _ in 0..40 {
        if !nats_up() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    start_nats()?;
    wait_for("NATS", nats_up).await
}
