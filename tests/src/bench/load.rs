//! A closed-loop load driver: each of `connections` keep-alive HTTP clients sends its next
//! request as soon as the previous one is answered, until the time is up. Counts answers,
//! errors and latency per class of request; and each service's resident memory afterwards.

use std::future::Future;
use std::time::{Duration, Instant};

use super::latency::{Percentiles, percentiles};
use crate::stack::Stack;

/// One client's requests: what it sends next, given what it was answered before.
pub trait Connection: Send + 'static {
    /// Sends the next request: its class (an index into the run's class names) and whether it
    /// was answered as expected (`Err` holds what was answered instead).
    fn next(
        &mut self,
        http: &reqwest::Client,
    ) -> impl Future<Output = (usize, Result<(), String>)> + Send;
}

/// One class of request over the run.
pub struct Class {
    pub name: &'static str,
    /// Answered as expected.
    pub requests: usize,
    pub errors: usize,
    /// What the first error was answered, if any.
    pub first_error: Option<String>,
    pub latency: Percentiles,
}

impl Class {
    /// Its row of a `| requests | answered | per s | errors | p50 | p99 |` table, over a run of
    /// `seconds`.
    pub fn print_row(&self, seconds: f64) {
        println!(
            "| {} | {} | {:.0} | {} | {:.2} ms | {:.2} ms |",
            self.name,
            self.requests,
            self.requests as f64 / seconds,
            self.errors,
            self.latency.p50_ms,
            self.latency.p99_ms
        );
    }
}

/// A run of [`run`].
pub struct Load {
    pub connections: usize,
    pub seconds: f64,
    pub classes: Vec<Class>,
}

impl Load {
    pub fn requests(&self) -> usize {
        self.classes.iter().map(|c| c.requests).sum()
    }

    pub fn errors(&self) -> usize {
        self.classes.iter().map(|c| c.errors).sum()
    }

    pub fn per_second(&self) -> f64 {
        self.requests() as f64 / self.seconds
    }
}

type Tally = (Vec<Vec<Duration>>, Vec<usize>, Option<String>);

/// Runs every connection on a client of its own for `duration`; `names` are the classes
/// the connections report.
pub async fn run<C: Connection>(
    connections: Vec<C>,
    names: &[&'static str],
    duration: Duration,
) -> Load {
    let count = connections.len();
    let classes = names.len();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = connections
        .into_iter()
        .map(|mut connection| {
            tokio::spawn(async move {
                let http = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(30))
                    .build()
                    .expect("an HTTP client");
                let mut tally: Tally = (vec![Vec::new(); classes], vec![0; classes], None);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let (class, answer) = connection.next(&http).await;
                    match answer {
                        Ok(()) => tally.0[class].push(sent.elapsed()),
                        Err(e) => {
                            tally.1[class] += 1;
                            tally.2.get_or_insert(e);
                        }
                    }
                }
                tally
            })
        })
        .collect();
    let mut samples = vec![Vec::new(); classes];
    let mut errors = vec![0; classes];
    let mut first_errors: Vec<Option<String>> = vec![None; classes];
    for task in tasks {
        let Ok((s, e, first)) = task.await else {
            continue;
        };
        let all = samples.iter_mut().zip(&mut errors).zip(&mut first_errors);
        for (((samples, errors), first_error), (times, failed)) in all.zip(s.into_iter().zip(e)) {
            samples.extend(times);
            *errors += failed;
            if failed > 0 && first_error.is_none() {
                first_error.clone_from(&first);
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let classes = names
        .iter()
        .zip(samples.into_iter().zip(errors).zip(first_errors))
        .map(|(name, ((times, errors), first_error))| Class {
            name,
            requests: times.len(),
            errors,
            first_error,
            latency: percentiles(times),
        })
        .collect();
    Load {
        connections: count,
        seconds,
        classes,
    }
}

/// Sends `request` and reads the whole body: the body if the status is `expected`, otherwise
/// the status and body as the error.
pub async fn answer(
    request: reqwest::RequestBuilder,
    expected: reqwest::StatusCode,
) -> Result<bytes::Bytes, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status == expected {
        Ok(body)
    } else {
        Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// Resident memory of a service of the stack (`VmRSS` of `/proc/<pid>/status`), in MB.
pub fn rss_mb(stack: &Stack, service: &str) -> Option<f64> {
    let kib = super::logins::proc_status_kib(stack.pid(service)?, "VmRSS")?;
    Some(kib as f64 / 1024.0)
}

/// The services of a stack, in the order [`print_rss`] prints them.
pub const SERVICES: [&str; 3] = ["command-api", "query-api", "projector"];

/// Each service's resident memory now.
pub fn rss(stack: &Stack) -> Vec<(&'static str, f64)> {
    SERVICES
        .iter()
        .map(|s| (*s, rss_mb(stack, s).unwrap_or(0.0)))
        .collect()
}

pub fn print_rss(title: &str, rss: &[(&'static str, f64)]) {
    println!("\n## {title}\n");
    println!("| service | RSS |");
    println!("|---|---:|");
    for (service, mb) in rss {
        println!("| {service} | {mb:.1} MB |");
    }
}

/// Prints a run as a table, one row per class and a total.
pub fn print(title: &str, load: &Load) {
    println!(
        "\n## {title} ({} connections, {:.1} s)\n",
        load.connections, load.seconds
    );
    println!("| requests | answered | per s | errors | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|---:|");
    for class in &load.classes {
        class.print_row(load.seconds);
    }
    if load.classes.len() > 1 {
        println!(
            "| all | {} | {:.0} | {} | | |",
            load.requests(),
            load.per_second(),
            load.errors()
        );
    }
    for class in &load.classes {
        if let Some(e) = &class.first_error {
            println!("\n{}: first error: {}", class.name, truncate(e, 300));
        }
    }
}

/// At most `max` characters of `text`.
pub fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}
