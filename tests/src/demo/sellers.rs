//! The sellers' side of the demo shop: accounts, store profiles (when the command API ships)
//! and the products they list with their stock.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use futures::{StreamExt, TryStreamExt};
use reqwest::Method;
use serde_json::json;

use super::api::Api;
use super::data::{CITIES, FIRST_NAMES, NOUNS, VARIANTS, product};
use super::{CONCURRENCY, categories, images};

/// A seller: (user id, access token).
pub(super) type Seller = (String, String);
/// A listed product: (SKU, product id, index of its seller).
pub(super) type Listed = (String, String, usize);

/// `n` seller accounts, each named after a person and a city.
pub(super) async fn accounts(api: &Api<'_>, n: usize) -> anyhow::Result<Vec<Seller>> {
    futures::stream::iter(0..n)
        .map(|s| async move {
            let name = format!(
                "Toko {} {}",
                FIRST_NAMES[s % FIRST_NAMES.len()],
                CITIES[s % CITIES.len()].0
            );
            api.account(&format!("seller{s:02}@demo.pasar.id"), &name, "seller")
                .await
        })
        .buffered(4)
        .try_collect()
        .await
}

/// Whether the command API quotes shipping (its destination search answers).
pub(super) async fn ships(api: &Api<'_>, sellers: &[Seller]) -> anyhow::Result<bool> {
    Ok(match sellers.first() {
        Some((_, token)) => api.location(token, CITIES[0].2).await?.is_some(),
        None => false,
    })
}

/// Each seller's store profile, shipping from its city.
pub(super) async fn store_profiles(api: &Api<'_>, sellers: &[Seller]) -> anyhow::Result<()> {
    for (s, (_, token)) in sellers.iter().enumerate() {
        let (city, _, search) = CITIES[s % CITIES.len()];
        let Some(origin) = api.location(token, search).await? else {
            bail!("no RajaOngkir location for {search}");
        };
        let profile = json!({
            "store_name": format!("Toko {} {city}", FIRST_NAMES[s % FIRST_NAMES.len()]),
            "description": format!("Belanja hemat, dikirim dari {city}"),
            "origin": origin,
        });
        let key = format!("demo-profile-{s}");
        api.ok(
            Method::PUT,
            "/v1/seller/profile",
            Some(token),
            &key,
            profile,
        )
        .await?;
    }
    Ok(())
}

/// `n` products spread over the sellers, each listed into its category, stocked and given a
/// picture; in SKU order.
pub(super) async fn products(
    api: &Api<'_>,
    sellers: &[Seller],
    category_ids: &HashMap<String, String>,
    n: usize,
) -> anyhow::Result<Vec<Listed>> {
    let per = sellers.len().max(1);
    let jobs = (0..n).map(|index| (index % per, index / per, index));
    let mut listed: Vec<Listed> = futures::stream::iter(jobs)
        .map(|(seller, n, index)| async move {
            let category = categories::leaf_id(category_ids, NOUNS[index % NOUNS.len()].3)?;
            let (sku, body, stock) = product(seller, n, index, category);
            let token = &sellers[seller].1;
            let key = format!("demo-list-{sku}");
            let answer = api
                .ok(Method::POST, "/v1/products", Some(token), &key, body)
                .await?;
            let id = answer["id"].as_str().context("product id")?.to_owned();
            let path = format!("/v1/inventory/{id}/receipts");
            let key = format!("demo-receive-{sku}");
            api.ok(
                Method::POST,
                &path,
                Some(token),
                &key,
                json!({ "quantity": stock }),
            )
            .await?;
            let jpeg = images::picture(index % NOUNS.len(), (index * 7 + seller) % VARIANTS.len())?;
            images::upload(api, token, &id, &format!("demo-image-{sku}"), jpeg).await?;
            anyhow::Ok((sku, id, seller))
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    listed.sort();
    Ok(listed)
}
