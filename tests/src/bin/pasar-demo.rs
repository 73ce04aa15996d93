//! Loads a demo shop through the command API: `pasar-demo` (what `scripts/dev --demo` runs).
//! Idempotent: run it again and nothing changes. Every demo account's password is
//! `pasar-demo-2026`.

use clap::Parser;
use pasar_tests::demo::{self, Size, Target};

const _: () =
    assert!(Size::FULL.sellers == 20 && Size::FULL.products == 2_000 && Size::FULL.buyers == 200);

#[derive(Parser)]
#[command(
    name = "pasar-demo",
    version,
    about = "Load a demo shop through the command API"
)]
struct Cli {
    /// The command API.
    #[arg(long, env = "COMMAND_URL", default_value = "http://127.0.0.1:8081")]
    command_url: String,
    /// The Midtrans simulator, to pay some of the orders.
    #[arg(
        long,
        env = "MIDTRANS_SIM_URL",
        default_value = "http://127.0.0.1:8090"
    )]
    midtrans_sim_url: String,
    /// The admin who creates the category tree (the command API's first admin).
    #[arg(long, env = "PASAR_ADMIN_EMAIL")]
    admin_email: String,
    /// That admin's password.
    #[arg(long, env = "PASAR_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: String,
    /// Leave every order unpaid (no simulator).
    #[arg(long)]
    no_payments: bool,
    /// Sellers (each with a share of the products).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    sellers: u16,
    /// Products, spread over the sellers.
    #[arg(long, default_value_t = 2_000)]
    products: u32,
    /// Buyers (carts; two thirds check out, three quarters of those pay).
    #[arg(long, default_value_t = 200)]
    buyers: u32,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let target = Target {
        command_url: cli.command_url.trim_end_matches('/').to_owned(),
        midtrans_sim_url: (!cli.no_payments)
            .then(|| cli.midtrans_sim_url.trim_end_matches('/').to_owned()),
        admin: (cli.admin_email, cli.admin_password),
    };
    let size = Size {
        sellers: usize::from(cli.sellers),
        products: cli.products as usize,
        buyers: cli.buyers as usize,
    };
    let loaded = demo::load(&target, size).await?;
    println!(
        "demo shop: {} categories, {} sellers, {} products, {} buyers, {} checkouts ({} paid, {} orders shipped, {} reviews); password of every account: {}",
        loaded.categories,
        loaded.sellers,
        loaded.products,
        loaded.buyers,
        loaded.checkouts,
        loaded.paid,
        loaded.shipped,
        loaded.reviews,
        demo::PASSWORD
    );
    Ok(())
}
