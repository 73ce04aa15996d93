//! Changing a listed product: edits (a price change is its own event, the rest one event
//! naming what changed) and reactivation after discontinuation.

use chrono::{DateTime, Utc};
use pasar_events::types::{Money, ProductCondition, ProductEvent};
use uuid::Uuid;

use super::{Product, ProductCommand, ProductError, listing_errors};
use crate::FieldError;

/// The fields an edit gives, trimmed.
#[derive(Default)]
pub(super) struct Edits<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub price: Option<Money>,
    pub brand: Option<&'a str>,
    pub weight_grams: Option<i32>,
    pub condition: Option<ProductCondition>,
    pub category: Option<Option<Uuid>>,
    pub low_stock_threshold: Option<i64>,
}

impl<'a> Edits<'a> {
    /// The fields an `Edit` command gives, trimmed; no field for any other command.
    pub(super) fn given(command: &'a ProductCommand) -> Self {
        let ProductCommand::Edit {
            name,
            description,
            price,
            brand,
            weight_grams,
            condition,
            category,
            low_stock_threshold,
            ..
        } = command
        else {
            return Edits::default();
        };
        Edits {
            name: name.as_deref().map(str::trim),
            description: description.as_deref(),
            price: *price,
            brand: brand.as_deref().map(str::trim),
            weight_grams: *weight_grams,
            condition: *condition,
            category: *category,
            low_stock_threshold: *low_stock_threshold,
        }
    }
}

/// Highest low-stock threshold a seller may set.
pub const MAX_LOW_STOCK_THRESHOLD: i64 = 1_000_000;

impl Product {
    pub(super) fn reactivate(&self, now: DateTime<Utc>) -> Result<Vec<ProductEvent>, ProductError> {
        if !self.listed {
            return Err(ProductError::NotListed);
        }
        if !self.discontinued {
            return Ok(Vec::new());
        }
        Ok(vec![ProductEvent::ProductReactivated {
            reactivated_at: now,
        }])
    }

    /// The events of an edit: each given field checked by the listing rules, only changes
    /// recorded.
    pub(super) fn edit(
        &self,
        edits: Edits<'_>,
        now: DateTime<Utc>,
    ) -> Result<Vec<ProductEvent>, ProductError> {
        if !self.listed {
            return Err(ProductError::NotListed);
        }
        let price = self.check_edits(&edits)?;
        let mut events = Vec::new();
        if price != self.price {
            events.push(ProductEvent::ProductRepriced {
                price,
                previous_price: self.price,
                repriced_at: now,
            });
        }
        events.extend(self.edited(&edits, now));
        if let Some(category_id) = edits.category.filter(|c| *c != self.category_id) {
            events.push(ProductEvent::ProductCategorised {
                category_id,
                previous_category_id: self.category_id,
                categorised_at: now,
            });
        }
        if let Some(threshold) = edits
            .low_stock_threshold
            .filter(|t| Some(*t) != self.low_stock_threshold)
        {
            events.push(ProductEvent::ProductLowStockThresholdSet { threshold });
        }
        Ok(events)
    }

    /// Checks the product as the edit would leave it by the listing rules (every broken rule
    /// named) and the threshold's range; the price it would have.
    fn check_edits(&self, edits: &Edits<'_>) -> Result<Money, ProductError> {
        let name = edits.name.unwrap_or(&self.name);
        let description = edits.description.unwrap_or(&self.description);
        let price = edits.price.unwrap_or(self.price);
        let brand = edits
            .brand
            .filter(|b| !b.is_empty())
            .or(self.brand.as_deref());
        let weight = edits.weight_grams.unwrap_or(self.weight_grams);
        let mut errors: Vec<FieldError> =
            listing_errors(&self.sku, name, description, price, brand, weight)
                .into_iter()
                .filter(|e| e.field != "sku")
                .collect();
        if edits
            .low_stock_threshold
            .is_some_and(|t| !(0..=MAX_LOW_STOCK_THRESHOLD).contains(&t))
        {
            errors.push(FieldError::new(
                "low_stock_threshold",
                format!("must be between 0 and {MAX_LOW_STOCK_THRESHOLD}"),
            ));
        }
        if !errors.is_empty() {
            return Err(ProductError::Invalid(errors));
        }
        if price.currency != self.price.currency {
            return Err(ProductError::Invalid(vec![FieldError::new(
                "price",
                "must be in the product's currency",
            )]));
        }
        Ok(price)
    }

    /// `ProductEdited` naming only the descriptive fields that change; none when none does.
    fn edited(&self, edits: &Edits<'_>, now: DateTime<Utc>) -> Option<ProductEvent> {
        let changed = |new: Option<&str>, old: &str| new.filter(|n| *n != old).map(str::to_owned);
        let edited = ProductEvent::ProductEdited {
            name: changed(edits.name, &self.name),
            description: changed(edits.description, &self.description),
            brand: changed(
                edits.brand.filter(|b| !b.is_empty()),
                self.brand.as_deref().unwrap_or(""),
            ),
            weight_grams: edits.weight_grams.filter(|w| *w != self.weight_grams),
            condition: edits.condition.filter(|c| *c != self.condition),
            edited_at: now,
        };
        let nothing = matches!(
            &edited,
            ProductEvent::ProductEdited {
                name: None,
                description: None,
                brand: None,
                weight_grams: None,
                condition: None,
                ..
            }
        );
        (!nothing).then_some(edited)
    }

    /// Records an edit's facts (price, descriptive fields, category, threshold); other
    /// events leave the product as it is.
    pub(super) fn evolve_edit(&mut self, event: &ProductEvent) {
        match event.clone() {
            ProductEvent::ProductRepriced { price, .. } => self.price = price,
            ProductEvent::ProductEdited {
                name,
                description,
                brand,
                weight_grams,
                condition,
                ..
            } => {
                self.name = name.unwrap_or(std::mem::take(&mut self.name));
                self.description = description.unwrap_or(std::mem::take(&mut self.description));
                self.brand = brand.or(self.brand.take());
                self.weight_grams = weight_grams.unwrap_or(self.weight_grams);
                self.condition = condition.unwrap_or(self.condition);
            }
            ProductEvent::ProductCategorised { category_id, .. } => self.category_id = category_id,
            ProductEvent::ProductLowStockThresholdSet { threshold } => {
                self.low_stock_threshold = Some(threshold);
            }
            _ => {}
        }
    }
}
