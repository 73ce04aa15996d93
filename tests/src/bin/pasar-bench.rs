//! `cargo build --release --workspace --bins && target/release/pasar-bench [all|appends|catchup|latency|queries|history] [--seconds N]`
//! `target/release/pasar-bench soak [--minutes N]` (not part of `all`: it restarts the machine's
//! PostgreSQL and NATS).
//! Prints Markdown tables of measured figures beside their baselines.

use std::time::Duration;

use pasar_tests::bench;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seconds = args
        .iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let which = args.first().map_or("all", String::as_str);
    if which == "soak" {
        return soak(&args).await;
    }
    println!(
        "# Pasar benchmarks ({} cores, {seconds} s per measurement)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if matches!(which, "all" | "appends") {
        let rows = bench::appends::run(&[1, 8, 32, 64], Duration::from_secs(seconds)).await?;
        bench::appends::print(&rows);
    }
    if matches!(which, "all" | "catchup") {
        let products = std::env::var("BENCH_PRODUCTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50_000);
        let rows = bench::catchup::run(products).await?;
        bench::catchup::print(&rows);
    }
    if matches!(which, "all" | "history") {
        let stack = pasar_tests::stack::Stack::start_with(&[("RUST_LOG", "error")]).await?;
        let past = std::env::var("BENCH_HISTORY_EVENTS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let h = bench::history::run(&stack, past, 200).await?;
        bench::history::print(&h);
    }
    if matches!(which, "all" | "latency" | "queries") {
        let stack = std::sync::Arc::new(
            pasar_tests::stack::Stack::start_with(&[("RUST_LOG", "error")]).await?,
        );
        if matches!(which, "all" | "latency") {
            let v =
                bench::latency::visibility(stack.clone(), 500, Duration::from_secs(seconds)).await;
            bench::latency::print_visibility(&v);
        }
        if matches!(which, "all" | "queries") {
            let t = bench::latency::product_detail(stack.clone(), 64, Duration::from_secs(seconds))
                .await;
            bench::latency::print_throughput(&t);
        }
    }
    Ok(())
}

/// `pasar-bench soak [--minutes N]`: prints the soak's report; fails when an invariant broke.
async fn soak(args: &[String]) -> anyhow::Result<()> {
    let minutes: f64 = args
        .iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let options = pasar_tests::soak::Options::full(Duration::from_secs_f64(minutes * 60.0));
    println!("# Pasar soak: {options:?}");
    let report = pasar_tests::soak::run(options).await?;
    println!("{}", report.render());
    anyhow::ensure!(report.passed(), "the soak found violations");
    Ok(())
}
