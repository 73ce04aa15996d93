//! A realistic shop loaded through the command API (never behind its back): a category tree
//! with Indonesian names (created by the admin), sellers, products in it with Indonesian
//! names, brands, prices and stock, buyers, carts, checkouts, paid and shipped
//! orders. Every command carries an `Idempotency-Key` derived from what it creates, so running
//! the loader again changes nothing and answers the same ids (`pasar-demo`, `scripts/dev
//! --demo`).

use std::time::Instant;

use futures::{StreamExt, TryStreamExt};
use reqwest::Client;

mod api;
mod buyers;
mod categories;
mod data;
mod images;
mod sellers;

use api::Api;

/// The password of every demo account (they are demo accounts: say so in the README).
pub const PASSWORD: &str = "pasar-demo-2026";

/// How much to load.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub sellers: usize,
    pub products: usize,
    pub buyers: usize,
}

impl Size {
    /// What `scripts/dev --demo` loads.
    pub const FULL: Size = Size {
        sellers: 20,
        products: 2_000,
        buyers: 200,
    };
}

/// Where the services are.
#[derive(Debug, Clone)]
pub struct Target {
    pub command_url: String,
    /// The Midtrans simulator's base URL: paid orders need it (`None`: orders stay unpaid).
    pub midtrans_sim_url: Option<String>,
    /// An admin's email and password (`PASAR_ADMIN_EMAIL`, `PASAR_ADMIN_PASSWORD`): the
    /// admin creates the category tree.
    pub admin: (String, String),
}

/// What was loaded (the same on every run).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Categories in the tree (roots, subcategories and leaves).
    pub categories: usize,
    pub sellers: usize,
    pub products: usize,
    pub buyers: usize,
    pub checkouts: usize,
    pub paid: usize,
    pub shipped: usize,
    /// Approved reviews.
    pub reviews: usize,
    /// The product ids, in SKU order.
    pub product_ids: Vec<String>,
}

/// Commands the loader keeps in flight at once.
const CONCURRENCY: usize = 16;

/// Loads the shop. Safe to run again: every command is keyed by what it creates.
pub async fn load(target: &Target, size: Size) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let took = || started.elapsed().as_secs_f64();
    let http = Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let api = &Api {
        http: &http,
        base: &target.command_url,
    };

    // The category tree, created by the admin.
    let admin = api.login(&target.admin.0, &target.admin.1).await?;
    let category_ids = categories::create(api, &admin).await?;
    eprintln!("demo: {} categories ({:.1} s)", category_ids.len(), took());

    let sellers = sellers::accounts(api, size.sellers).await?;
    eprintln!("demo: {} sellers ({:.1} s)", sellers.len(), took());
    let ships = sellers::ships(api, &sellers).await?;
    if ships {
        sellers::store_profiles(api, &sellers).await?;
        eprintln!("demo: {} store profiles", sellers.len());
    }
    let products = sellers::products(api, &sellers, &category_ids, size.products).await?;
    let per_seller = size.products.div_ceil(size.sellers.max(1));
    eprintln!(
        "demo: {} products ({per_seller} per seller, {:.1} s)",
        products.len(),
        took()
    );

    let shop = &buyers::Shop {
        api,
        admin: &admin,
        target,
        ships,
        products: &products,
        sellers: &sellers,
    };
    let outcomes: Vec<buyers::Outcome> = futures::stream::iter(0..size.buyers)
        .map(|b| shop.buyer(b))
        .buffer_unordered(CONCURRENCY / 2)
        .try_collect()
        .await?;
    let loaded = Loaded {
        categories: category_ids.len(),
        sellers: sellers.len(),
        products: products.len(),
        buyers: size.buyers,
        checkouts: outcomes.iter().filter(|o| o.0).count(),
        paid: outcomes.iter().map(|o| o.1).sum(),
        shipped: outcomes.iter().map(|o| o.2).sum(),
        reviews: outcomes.iter().map(|o| o.3).sum(),
        product_ids: products.into_iter().map(|(_, id, _)| id).collect(),
    };
    eprintln!(
        "demo: {} buyers, {} checkouts, {} paid, {} orders shipped ({:.1} s)",
        loaded.buyers,
        loaded.checkouts,
        loaded.paid,
        loaded.shipped,
        took()
    );
    Ok(loaded)
}
