//! Values carried by the profile events of `customer-{id}` (see [`super::CustomerEvent`]):
//! the language a customer reads the shop in, and their avatar's thumbnail.

use serde::{Deserialize, Serialize};

/// The language of what the shop writes to a customer (emails). Indonesian unless they chose
/// English. Stored as `"id"` or `"en"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Id,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Id => "id",
            Locale::En => "en",
        }
    }

    /// `"id"` or `"en"`, exactly.
    pub fn parse(raw: &str) -> Option<Locale> {
        match raw {
            "id" => Some(Locale::Id),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}
