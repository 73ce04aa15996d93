//! An import line's cells read as values: every reason a line cannot be imported is
//! collected, so the report names them all at once.

use pasar_domain::product::normalize_sku;
use pasar_domain::values::{Sku, printable};
use pasar_events::types::{ImportRow, Money, ProductCondition};
use uuid::Uuid;

/// A line's cells, parsed. `None` for an empty optional cell.
pub(super) struct Parsed {
    pub(super) sku: Sku,
    pub(super) name: String,
    pub(super) description: Option<String>,
    pub(super) price: i64,
    pub(super) weight_grams: i32,
    pub(super) brand: Option<String>,
    pub(super) condition: Option<ProductCondition>,
    pub(super) category_id: Option<Uuid>,
    pub(super) stock: Option<i64>,
}

/// The line's cells as values, or every reason it cannot be imported.
pub(super) fn parse(row: &ImportRow) -> Result<Parsed, Vec<String>> {
    let mut reasons = Vec::new();
    let name = text(&mut reasons, "name", &row.name);
    let description = text(&mut reasons, "description", &row.description).filter(|d| !d.is_empty());
    let brand = text(&mut reasons, "brand", &row.brand).filter(|b| !b.is_empty());
    for (field, raw) in [("sku", &row.sku), ("name", &row.name)] {
        if raw.is_empty() {
            reasons.push(format!("{field}: is required"));
        }
    }
    let price = whole(
        &mut reasons,
        "price",
        &row.price,
        "a whole number of rupiah",
    );
    let weight = weight(&mut reasons, &row.weight_grams);
    let condition = condition(&mut reasons, &row.condition);
    let category_id = category(&mut reasons, &row.category_id);
    let stock = stock(&mut reasons, &row.stock);
    if let (Some(name), Some(price), Some(weight)) = (&name, price, weight) {
        let listing = (
            name.as_str(),
            description.as_deref(),
            price,
            brand.as_deref(),
            weight,
        );
        reasons.extend(listing_reasons(row, listing));
    }
    if !reasons.is_empty() {
        return Err(reasons);
    }
    let (Some(name), Some(price), Some(weight_grams), Ok(sku)) =
        (name, price, weight, Sku::parse(&row.sku))
    else {
        return Err(vec![format!(
            "sku: {} is not a valid SKU",
            normalize_sku(&row.sku)
        )]);
    };
    Ok(Parsed {
        sku,
        name,
        description,
        price,
        weight_grams,
        brand,
        condition,
        category_id,
        stock,
    })
}

/// Printable text, or a reason.
fn text(reasons: &mut Vec<String>, field: &str, raw: &str) -> Option<String> {
    match printable(raw) {
        Ok(text) => Some(text.to_owned()),
        Err(e) => {
            reasons.push(format!("{field}: {e}"));
            None
        }
    }
}

fn weight(reasons: &mut Vec<String>, raw: &str) -> Option<i32> {
    let grams = whole(reasons, "weight_grams", raw, "a whole number of grams")?;
    match i32::try_from(grams) {
        Ok(grams) => Some(grams),
        Err(_) => {
            reasons.push("weight_grams: is too large".into());
            None
        }
    }
}

/// An empty cell is `None` (left as it is).
fn condition(reasons: &mut Vec<String>, raw: &str) -> Option<ProductCondition> {
    match raw.to_lowercase().as_str() {
        "" => None,
        "new" => Some(ProductCondition::New),
        "used" => Some(ProductCondition::Used),
        "refurbished" => Some(ProductCondition::Refurbished),
        _ => {
            reasons.push("condition: must be new, used or refurbished".into());
            None
        }
    }
}

fn category(reasons: &mut Vec<String>, raw: &str) -> Option<Uuid> {
    if raw.is_empty() {
        return None;
    }
    let id = raw.parse::<Uuid>().ok();
    if id.is_none() {
        reasons.push("category_id: must be a UUID".into());
    }
    id
}

fn stock(reasons: &mut Vec<String>, raw: &str) -> Option<i64> {
    if raw.is_empty() {
        return None;
    }
    let units = whole(reasons, "stock", raw, "a whole number of units, 0 or more")?;
    if units < 0 {
        reasons.push("stock: must be 0 or more".into());
        return None;
    }
    Some(units)
}

/// The listing rules' reasons for a line whose name, price and weight parsed (name,
/// description, price, brand, weight), without repeating a missing SKU or name.
fn listing_reasons(
    row: &ImportRow,
    (name, description, price, brand, weight): (&str, Option<&str>, i64, Option<&str>, i32),
) -> Vec<String> {
    let errors = pasar_domain::product::listing_errors(
        &row.sku,
        name,
        description.unwrap_or(""),
        Money::idr(price),
        brand,
        weight,
    );
    errors
        .into_iter()
        .filter(|e| !(e.field == "sku" && row.sku.is_empty()))
        .filter(|e| !(e.field == "name" && row.name.is_empty()))
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

/// A whole number, or a reason naming what it must be.
fn whole(reasons: &mut Vec<String>, field: &str, raw: &str, what: &str) -> Option<i64> {
    if raw.is_empty() {
        reasons.push(format!("{field}: is required"));
        return None;
    }
    match raw.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            reasons.push(format!("{field}: must be {what}"));
            None
        }
    }
}
