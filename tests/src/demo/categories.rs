//! The demo's category tree, with Indonesian names, created by the admin through
//! `POST /v1/categories` (keyed by the category's path, so a second run answers the same ids).

use std::collections::HashMap;

use anyhow::Context as _;
use reqwest::Method;
use serde_json::json;

use super::Api;

/// Every leaf the demo lists products into, as its path from the root (at most 3 levels).
/// `super::data::NOUNS` names one of these per product kind.
pub(super) const LEAVES: &[&[&str]] = &[
    &["Makanan & Minuman", "Minuman", "Kopi"],
    &["Makanan & Minuman", "Minuman", "Teh"],
    &["Makanan & Minuman", "Makanan Ringan", "Kue Kering"],
    &["Makanan & Minuman", "Makanan Ringan", "Keripik"],
    &["Makanan & Minuman", "Bahan Makanan", "Madu"],
    &["Makanan & Minuman", "Bahan Makanan", "Sambal & Bumbu"],
    &["Fashion", "Pakaian Pria", "Kaos"],
    &["Fashion", "Pakaian Pria", "Celana"],
    &["Fashion", "Pakaian Pria", "Jaket"],
    &["Fashion", "Batik", "Kemeja Batik"],
    &["Fashion", "Fashion Muslim", "Kerudung"],
    &["Fashion", "Fashion Muslim", "Mukena"],
    &["Fashion", "Sepatu & Sandal", "Sepatu Olahraga"],
    &["Fashion", "Sepatu & Sandal", "Sandal"],
    &["Fashion", "Tas & Dompet", "Tas Ransel"],
    &["Fashion", "Tas & Dompet", "Dompet"],
    &["Elektronik", "Handphone"],
    &["Elektronik", "Audio", "Earphone"],
    &["Rumah Tangga", "Peralatan Dapur", "Rice Cooker"],
    &["Kesehatan", "Obat Tradisional"],
];

/// The categories by path (`"Fashion/Batik"`), created parents first. Idempotent: each
/// create carries `demo-category-<path>` as its key, so a second run answers the same ids.
pub(super) async fn create(api: &Api<'_>, admin: &str) -> anyhow::Result<HashMap<String, String>> {
    let mut ids: HashMap<String, String> = HashMap::new();
    // One stream holds the whole tree: creating in order (parents first) avoids conflicts.
    for leaf in LEAVES {
        for depth in 1..=leaf.len() {
            let path = leaf[..depth].join("/");
            if ids.contains_key(&path) {
                continue;
            }
            let parent = (depth > 1)
                .then(|| ids.get(&leaf[..depth - 1].join("/")).cloned())
                .flatten();
            let created = api
                .ok(
                    Method::POST,
                    "/v1/categories",
                    Some(admin),
                    &format!("demo-category-{path}"),
                    json!({ "name": leaf[depth - 1], "parent_id": parent }),
                )
                .await?;
            let id = created["id"].as_str().context("category id")?.to_owned();
            ids.insert(path, id);
        }
    }
    Ok(ids)
}

/// The id of the leaf `index` of [`LEAVES`].
pub(super) fn leaf_id(ids: &HashMap<String, String>, index: usize) -> anyhow::Result<&str> {
    let path = LEAVES[index].join("/");
    ids.get(&path)
        .map(String::as_str)
        .with_context(|| format!("category {path} was created"))
}

#[cfg(test)]
mod tests {
    use super::LEAVES;

    #[test]
    fn every_product_kind_names_a_leaf_and_every_leaf_is_used() {
        let used: std::collections::BTreeSet<usize> =
            super::super::data::NOUNS.iter().map(|n| n.3).collect();
        assert!(used.iter().all(|&i| i < LEAVES.len()));
        assert_eq!(used.len(), LEAVES.len());
        assert!(LEAVES.iter().all(|l| (2..=3).contains(&l.len())));
    }
}
