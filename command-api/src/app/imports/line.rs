//! Importing one line: parse its cells, then create or update the product by SKU through the
//! same use cases as `POST /v1/products`, `PATCH /v1/products/{id}` and the stock routes, so
//! every rule of theirs applies (ownership, listing rules, the SKU claim, stock never below
//! what is reserved).
//!
//! Every command carries an idempotency key derived from the import and the line, so its
//! event ids are too: a line imported again after a crash finds its own events and appends
//! nothing new. A product this line created is recognised by its id (derived from the same
//! key), so the line still reports `created` when it is retried.

use pasar_domain::product::{Product, ProductCommand, ProductError};
use pasar_domain::stock::Stock;
use pasar_domain::values::Price;
use pasar_events::types::{ImportRow, LineOutcome, LineReport, Money, streams};
use uuid::Uuid;

use super::cells::{Parsed, parse};
use crate::app::catalog::{self, Listing, ProductChange};
use crate::app::exec::{derive_id, load};
use crate::app::idempotency::Idempotency;
use crate::app::{Actor, AppError, AppState, Rule, claims};

/// The stock-adjustment reason an import's `stock` column records.
const STOCK_REASON: &str = "recount";

/// Imports `row` for `actor`. A rule refusing it is the line's `rejected` outcome with the
/// reasons; only a dependency failing (retry later) is an `Err`.
pub async fn import_line(
    state: &AppState,
    actor: Actor,
    import_id: Uuid,
    row: &ImportRow,
) -> Result<LineReport, AppError> {
    let parsed = match parse(row) {
        Ok(parsed) => parsed,
        Err(reasons) => return Ok(rejected(row, reasons)),
    };
    let keys = Keys {
        import_id,
        line: row.line,
    };
    let created_id = keys.created_product(actor);
    let claim = streams::sku_claim(&parsed.sku.normalized());
    let holder = claims::holder(state.store.as_ref(), &claim).await?;
    let result = match holder.owner {
        Some((product_id, _)) if product_id != created_id => {
            match update(state, actor, &keys, product_id, &parsed).await {
                Err(AppError::Rejected(Rule::ProductNotFound)) => {
                    // A claim whose product never appeared: listing takes it over when it may.
                    create(state, actor, &keys, parsed, holder).await
                }
                other => other,
            }
        }
        _ => create(state, actor, &keys, parsed, holder).await,
    };
    match result {
        Ok((outcome, product_id, notes)) => Ok(LineReport {
            line: row.line,
            sku: row.sku.clone(),
            outcome,
            product_id: Some(product_id),
            reasons: notes,
        }),
        Err(AppError::Rejected(rule)) => Ok(rejected(row, reasons(&rule))),
        Err(e) => Err(e),
    }
}

/// The idempotency keys of one line's commands.
struct Keys {
    import_id: Uuid,
    line: u32,
}

impl Keys {
    fn key(&self, step: &str) -> Idempotency {
        Idempotency::server_derived(format!("import:{}:{}:{step}", self.import_id, self.line))
    }

    /// The id `catalog::list_product` gives the product this line lists (it derives it from
    /// the key the same way).
    fn created_product(&self, actor: Actor) -> Uuid {
        let key = self.key("list").key;
        let seed = derive_id(&["list-product", &actor.id.to_string(), &key]);
        Uuid::new_v5(&seed, b"product")
    }
}

type Done = (LineOutcome, Uuid, Vec<String>);

async fn create(
    state: &AppState,
    actor: Actor,
    keys: &Keys,
    parsed: Parsed,
    holder: claims::Holder,
) -> Result<Done, AppError> {
    let listing = Listing {
        sku: parsed.sku,
        name: parsed.name,
        description: parsed.description.unwrap_or_default(),
        price: Price::parse(parsed.price).map_err(|e| invalid("price", &e.to_string()))?,
        category_id: parsed.category_id,
        brand: parsed.brand,
        weight_grams: parsed.weight_grams,
        condition: parsed.condition.unwrap_or_default(),
    };
    let key = keys.key("list");
    let listed = catalog::list_product_claimed(state, actor, listing, Some(&key), holder).await?;
    let product = &listed.state;
    let mut notes = Vec::new();
    if let Some(quantity) = parsed.stock.filter(|q| *q > 0) {
        let key = keys.key("stock");
        match catalog::receive_first_stock(state, actor, product, quantity, Some(&key)).await {
            Ok(_) => {}
            Err(AppError::Rejected(rule)) => notes.extend(prefixed("stock", &rule)),
            Err(e) => return Err(e),
        }
    }
    Ok((LineOutcome::Created, product.product_id, notes))
}

async fn update(
    state: &AppState,
    actor: Actor,
    keys: &Keys,
    product_id: Uuid,
    parsed: &Parsed,
) -> Result<Done, AppError> {
    // The stock is read beside the product (not after it): a line waits for one read, not two.
    let stock = async {
        match parsed.stock {
            Some(_) => Ok(Some(
                load::<Stock>(state.store.as_ref(), &streams::stock(product_id)).await?,
            )),
            None => Ok::<_, AppError>(None),
        }
    };
    let (product, stock) =
        tokio::try_join!(catalog::managed_product(state, actor, product_id), stock)?;
    let mut changed = false;
    if let Some(edit) = edit_of(&product, parsed) {
        let key = keys.key("edit");
        let change = ProductChange::Edit(edit);
        catalog::change_product(state, actor, product_id, change, Some(&key)).await?;
        changed = true;
    }
    let mut notes = Vec::new();
    if let (Some(wanted), Some(stock)) = (parsed.stock, stock) {
        let delta = wanted - stock.state.on_hand;
        if delta != 0 {
            let key = keys.key("stock");
            let reason = STOCK_REASON.to_owned();
            match catalog::adjust_stock(state, actor, product_id, delta, reason, Some(&key)).await {
                Ok(_) => changed = true,
                Err(AppError::Rejected(rule)) if changed => notes.extend(prefixed("stock", &rule)),
                Err(AppError::Rejected(rule)) => {
                    return Err(invalid("stock", &rule.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
    }
    let outcome = if changed {
        LineOutcome::Updated
    } else {
        LineOutcome::Unchanged
    };
    Ok((outcome, product_id, notes))
}

/// The edit that makes `product` match the line, or `None` when it already does. Empty
/// optional cells leave their field as it is.
fn edit_of(product: &Product, parsed: &Parsed) -> Option<ProductCommand> {
    fn differs<T: PartialEq + Clone>(new: Option<&T>, old: &T) -> Option<T> {
        new.filter(|n| *n != old).cloned()
    }
    let name = differs(Some(&parsed.name), &product.name);
    let description = differs(parsed.description.as_ref(), &product.description);
    let price = Some(Money::idr(parsed.price)).filter(|p| *p != product.price);
    let brand = parsed
        .brand
        .clone()
        .filter(|b| product.brand.as_deref() != Some(b.as_str()));
    let weight_grams = differs(Some(&parsed.weight_grams), &product.weight_grams);
    let condition = differs(parsed.condition.as_ref(), &product.condition);
    // An empty cell leaves the category as it is; another one moves the product (the use
    // case checks that it is active).
    let category = parsed
        .category_id
        .filter(|c| Some(*c) != product.category_id)
        .map(Some);
    let nothing = name.is_none()
        && description.is_none()
        && price.is_none()
        && brand.is_none()
        && weight_grams.is_none()
        && condition.is_none()
        && category.is_none();
    (!nothing).then(|| ProductCommand::Edit {
        name,
        description,
        price,
        brand,
        weight_grams,
        condition,
        category,
        low_stock_threshold: None,
        now: chrono::Utc::now(),
    })
}

/// A rejected line names no product (it may be another seller's).
fn rejected(row: &ImportRow, reasons: Vec<String>) -> LineReport {
    LineReport {
        line: row.line,
        sku: row.sku.clone(),
        outcome: LineOutcome::Rejected,
        product_id: None,
        reasons,
    }
}

fn invalid(field: &'static str, message: &str) -> AppError {
    let error = pasar_domain::FieldError::new(field, message);
    AppError::Rejected(Rule::Invalid(vec![error]))
}

/// The reasons a rule gives, one per broken field where it names them.
fn reasons(rule: &Rule) -> Vec<String> {
    match rule {
        Rule::Invalid(errors) | Rule::Product(ProductError::Invalid(errors)) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect(),
        Rule::SkuTaken | Rule::NotProductOwner => {
            vec!["sku: belongs to another seller's product".into()]
        }
        other => vec![other.to_string()],
    }
}

fn prefixed(field: &str, rule: &Rule) -> Vec<String> {
    reasons(rule)
        .into_iter()
        .map(|r| format!("{field}: {r}"))
        .collect()
}
