//! Changing a listed product: edits (a price change is its own event, the rest one event
//! naming what changed) and reactivation after discontinuation.

use chrono::{DateTime, Utc};
use pasar_events::types::{Money, ProductCondition, ProductEvent};

use super::{Product, ProductError, listing_errors};
use crate::FieldError;

/// The fields an edit gives, trimmed.
pub(super) struct Edits<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub price: Option<Money>,
    pub brand: Option<&'a str>,
    pub weight_grams: Option<i32>,
    pub condition: Option<ProductCondition>,
}

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
        let name = edits.name.unwrap_or(&self.name);
        let description = edits.description.unwrap_or(&self.description);
        let price = edits.price.unwrap_or(self.price);
        let brand = edits
            .brand
            .filter(|b| !b.is_empty())
            .or(self.brand.as_deref());
        let weight = edits.weight_grams.unwrap_or(self.weight_grams);
        let errors: Vec<FieldError> =
            listing_errors(&self.sku, name, description, price, brand, weight)
                .into_iter()
                .filter(|e| e.field != "sku")
                .collect();
        if !errors.is_empty() {
            return Err(ProductError::Invalid(errors));
        }
        if price.currency != self.price.currency {
            return Err(ProductError::Invalid(vec![FieldError::new(
                "price",
                "must be in the product's currency",
            )]));
        }
        let changed = |new: Option<&str>, old: &str| new.filter(|n| *n != old).map(str::to_owned);
        let mut events = Vec::new();
        if price != self.price {
            events.push(ProductEvent::ProductRepriced {
                price,
                previous_price: self.price,
                repriced_at: now,
            });
        }
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
        if !matches!(
            &edited,
            ProductEvent::ProductEdited {
                name: None,
                description: None,
                brand: None,
                weight_grams: None,
                condition: None,
                ..
            }
        ) {
            events.push(edited);
        }
        Ok(events)
    }
}
