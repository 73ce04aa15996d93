//! Pasar's benchmarks and soak against the release binaries:
//! `cargo build --release --workspace --bins && target/release/pasar-bench <command>`.
//! Each benchmark prints a Markdown table of measured figures beside its baseline;
//! `pasar-bench --help` lists them.

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use pasar_tests::bench;
use pasar_tests::stack::Stack;

#[derive(Parser)]
#[command(name = "pasar-bench", version, about = "Benchmarks and soak for Pasar")]
struct Cli {
    /// Seconds per timed measurement.
    #[arg(long, default_value_t = 5, global = true)]
    seconds: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Clone, Copy, PartialEq)]
enum Command {
    /// Every benchmark below except the soak (the default).
    All,
    /// Event appends per second at 1, 8, 32 and 64 writers (BENCH_WRITERS), beside raw INSERTs.
    Appends,
    /// Projection catch-up over a generated log (BENCH_PRODUCTS products, default 50,000).
    Catchup,
    /// Command → visible in the query API at 500 commands/s.
    Latency,
    /// Query API throughput: product detail at 64 connections, the product list with filters
    /// and the cursor at 32; each service's RSS afterwards.
    Queries,
    /// Command API throughput at 32 connections: stock receipts, product listings, cart adds
    /// (each kind on its own, errors counted); each service's RSS afterwards.
    Commands,
    /// Stock receipts on a product with BENCH_HISTORY_EVENTS (default 100,000) past events.
    History,
    /// Flash sales: 1,000 buyers on 300 units, and 100 buyers on 80 units.
    Flash,
    /// 600 concurrent failed logins (BENCH_LOGINS): the command API's peak RSS and the answers.
    Logins,
    /// The query API's search index over a generated Indonesian catalog: indexing rate,
    /// query latency and throughput, suggest, stock change → visible, RSS.
    Search {
        /// Products in the generated catalog.
        #[arg(long, default_value_t = 100_000)]
        products: usize,
    },
    /// CSV product import: rows/s from the request until its report reads done, for a
    /// generated file, then the same file again.
    Import {
        /// Data rows in the generated file.
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
    /// A realistic mix (browse 70 %, search 15 %, cart 10 %, checkout 5 %) over two
    /// instances of each service: throughput and p99 per class, CPU and RSS per process.
    Mixed {
        /// Closed-loop clients, each a buyer.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Products in the catalog.
        #[arg(long, default_value_t = 200)]
        products: usize,
    },
    /// The soak (kills, PostgreSQL and NATS restarts); fails when an invariant broke.
    Soak {
        /// How long the load runs.
        #[arg(long, default_value_t = 5.0)]
        minutes: f64,
    },
}

impl Command {
    fn runs(self, which: Command) -> bool {
        match (self, which) {
            (Command::Search { .. }, Command::Search { .. })
            | (Command::Import { .. }, Command::Import { .. })
            | (Command::Mixed { .. }, Command::Mixed { .. }) => true,
            _ => {
                self == which
                    || (self == Command::All
                        && !matches!(
                            which,
                            Command::Soak { .. }
                                | Command::Search { .. }
                                | Command::Import { .. }
                                | Command::Mixed { .. }
                        ))
            }
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from `name` (e.g. `BENCH_WRITERS=32,64`), else `default`.
fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    let parsed: Option<Vec<usize>> = std::env::var(name)
        .ok()
        .and_then(|v| v.split(',').map(|n| n.trim().parse().ok()).collect());
    parsed
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let which = cli.command.unwrap_or(Command::All);
    let seconds = Duration::from_secs(cli.seconds);
    if let Command::Soak { minutes } = which {
        return soak(minutes).await;
    }
    println!(
        "# Pasar benchmarks ({} cores, {} s per measurement)",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cli.seconds
    );
    if which.runs(Command::Appends) {
        let writers = env_list("BENCH_WRITERS", &[1, 8, 32, 64]);
        let rows = bench::appends::run(&writers, seconds).await?;
        bench::appends::print(&rows);
    }
    if which.runs(Command::Catchup) {
        let rows = bench::catchup::run(env_number("BENCH_PRODUCTS", 50_000) as i32).await?;
        bench::catchup::print(&rows);
    }
    if which.runs(Command::History) {
        let stack = Stack::start_with(QUIET).await?;
        let past = env_number("BENCH_HISTORY_EVENTS", 100_000);
        bench::history::print(&bench::history::run(&stack, past, 200).await?);
    }
    if which.runs(Command::Flash) {
        let stack = Arc::new(Stack::start_with(QUIET).await?);
        let mut runs = Vec::new();
        for (buyers, units) in [(1000, 300), (100, 80)] {
            runs.push(bench::flash::run(Arc::clone(&stack), buyers, units).await?);
        }
        bench::flash::print(&runs);
    }
    if which.runs(Command::Logins) {
        let stack = Stack::start_with(QUIET).await?;
        let attempts = env_number("BENCH_LOGINS", 600);
        bench::logins::print(&bench::logins::run(&stack, attempts).await?);
    }
    if let Command::Search { products } = which {
        let report = bench::search::run(products, seconds).await?;
        bench::search::print(&report);
    }
    if let Command::Mixed { clients, products } = which {
        let options = bench::mixed::Options {
            products,
            clients,
            duration: seconds,
        };
        bench::mixed::print(&bench::mixed::run(options).await?);
    }
    if let Command::Import { rows } = which {
        bench::import::print(&bench::import::run(rows).await?);
    }
    if which.runs(Command::Latency) {
        let stack = Arc::new(Stack::start_with(QUIET).await?);
        let v = bench::latency::visibility(stack.clone(), 500, seconds).await;
        bench::latency::print_visibility(&v);
    }
    if which.runs(Command::Queries) {
        queries(seconds).await?;
    }
    if which.runs(Command::Commands) {
        commands(seconds).await?;
    }
    Ok(())
}

/// The stack's environment for the throughput benchmarks: quiet logs, no shipping.
const QUIET: &[(&str, &str)] = &[
    ("RUST_LOG", "error"),
    ("RAJAONGKIR_URL", ""),
    ("RAJAONGKIR_API_KEY", ""),
];

/// `pasar-bench queries`: product detail at 64 connections, then the product list over a
/// 1,000-product catalog at 32 (`BENCH_LIST_PRODUCTS`), then each service's RSS.
async fn queries(seconds: Duration) -> anyhow::Result<()> {
    let stack = Arc::new(Stack::start_with(QUIET).await?);
    bench::load::print_rss("RSS after start", &bench::load::rss(&stack));
    let t = bench::latency::product_detail(stack.clone(), 64, seconds).await;
    bench::latency::print_throughput(&t);
    let catalog = bench::list::seed(&stack, env_number("BENCH_LIST_PRODUCTS", 1_000)).await?;
    let list = bench::list::run(&stack, &catalog, 32, seconds).await;
    bench::load::print(
        "Query API: GET /v1/products with filters, following next_cursor",
        &list,
    );
    bench::load::print_rss("RSS after the query benchmarks", &bench::load::rss(&stack));
    Ok(())
}

/// `pasar-bench commands`: each kind of command at 32 connections, then each service's RSS.
async fn commands(seconds: Duration) -> anyhow::Result<()> {
    let stack = Arc::new(Stack::start_with(QUIET).await?);
    bench::load::print_rss("RSS after start", &bench::load::rss(&stack));
    let loads = bench::commands::run(&stack, 32, seconds).await?;
    bench::commands::print(&loads);
    bench::load::print_rss(
        "RSS after the command benchmarks",
        &bench::load::rss(&stack),
    );
    Ok(())
}

/// `pasar-bench soak [--minutes N]`: prints the soak's report; fails when an invariant broke.
async fn soak(minutes: f64) -> anyhow::Result<()> {
    let options = pasar_tests::soak::Options::full(Duration::from_secs_f64(minutes * 60.0));
    println!("# Pasar soak: {options:?}");
    let report = pasar_tests::soak::run(options).await?;
    println!("{}", report.render());
    anyhow::ensure!(report.passed(), "the soak found violations");
    Ok(())
}
