//! `projector [run]` tails the log into the read models and publishes integration events;
//! the other subcommands are operator tools (`projector --help`).

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use pasar_projector::{Config, PublisherConfig, RebuildOptions, commands};

/// Pasar's projector: builds the read models from the event log and publishes the log to
/// NATS JetStream. Configured by environment variables (see the README).
#[derive(Parser)]
#[command(name = "projector", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Tail the log into the read models and publish integration events (the default).
    Run,
    /// Print the log head, each projection version's position and lag, and whether the
    /// publisher's stream is this log's.
    Status,
    /// Build the next version of projections beside the live one, then swap it in atomically.
    Rebuild {
        /// Projections to rebuild (e.g. catalog orders).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        projections: Vec<String>,
        /// Rebuild every replay-safe projection.
        #[arg(long)]
        all: bool,
        /// Keep the replaced version's tables (drop them later with `drop-retired`).
        #[arg(long)]
        keep_retired: bool,
        /// Events per catch-up batch.
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..))]
        batch_size: u32,
    },
    /// Drop the tables of versions retired by `rebuild --keep-retired`.
    DropRetired,
    /// Print every event of one stream, oldest first, as JSON lines.
    Events {
        /// A stream name, e.g. order-0193…
        stream: String,
    },
    /// Delete the JetStream stream and publish this log into a new one from its first event
    /// (for a stream left by an earlier log, e.g. after the database was created anew).
    ResetStream {
        /// Confirm: consumers of the stream see it start over.
        #[arg(long, required = true)]
        yes: bool,
    },
}

/// mimalloc rather than glibc's malloc: it gives freed memory back to the system, where glibc
/// kept it in one arena per thread (RSS grew from 35 to 85 MB over one load run).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Parsed before anything else, so `--help` and a wrong argument need no configuration
    // (clap prints the usage and exits: 0 for help, 2 for a mistake).
    let cli = Cli::parse();
    pasar_service::runtime::init_tracing();
    let config = Config::from_env()?;
    let out = &mut std::io::stdout();
    match cli.command.unwrap_or(Command::Run) {
        Command::Run => {
            let publisher = PublisherConfig::from_env()?;
            let listener = pasar_service::listen(config.addr)
                .with_context(|| format!("binding PROJECTOR_ADDR {}", config.addr))?;
            let shutdown = pasar_service::shutdown_signal();
            pasar_projector::run_with_publisher(config, publisher, listener, shutdown).await
        }
        Command::Status => {
            print!("{}", pasar_projector::status_report(&config).await?);
            print!(
                "{}",
                commands::publisher_status(&config, &PublisherConfig::from_env()?).await
            );
            Ok(())
        }
        Command::Rebuild {
            projections,
            all,
            keep_retired,
            batch_size,
        } => {
            let options = RebuildOptions {
                batch_size: batch_size as usize,
                keep_retired,
            };
            commands::rebuild(&config, &projections, all, &options, out).await
        }
        Command::DropRetired => commands::drop_retired(&config, out).await,
        Command::Events { stream } => commands::events(&config, &stream, out).await,
        Command::ResetStream { yes: _ } => {
            commands::reset_stream(&config, &PublisherConfig::from_env()?, out).await
        }
    }
}
