//! Validated values: newtypes with a private field and a `parse` constructor, so a value that
//! exists is valid. Request types at the edge parse into these before any command is built;
//! a value that does not parse names the rule it broke ([`ValueError`]).
//!
//! Every text value refuses control characters (C0, DEL, C1) and surrounding whitespace is
//! trimmed: what reaches the log is printable text.

use pasar_events::types::{Money, ShippingAddress};

use crate::FieldError;

/// Why a raw value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("must be {min} to {max} characters")]
    Length { min: usize, max: usize },
    #[error("must be a valid email address (at most 64 characters before the @, 254 in all)")]
    Email,
    #[error("must be 1 to 64 characters of A-Z, a-z, 0-9, '-', '_', '.'")]
    Sku,
    #[error("must be between {min} and {max}")]
    Range { min: i64, max: i64 },
    #[error("must be an Indonesian mobile number: 08…, 628… or +628… (9 to 12 digits after 62)")]
    Phone,
}

impl ValueError {
    /// The same refusal, reported against a request field.
    pub fn at(&self, field: &'static str) -> FieldError {
        FieldError::new(field, self.to_string())
    }
}

/// Whether `text` holds a control character (C0 including tab and newline, DEL, C1).
pub fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Checks any free text a client sends: no control characters.
pub fn printable(text: &str) -> Result<&str, ValueError> {
    if has_control(text) {
        Err(ValueError::ControlCharacter)
    } else {
        Ok(text)
    }
}

/// Trimmed, printable text of `MIN..=MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text<const MIN: usize, const MAX: usize>(String);

impl<const MIN: usize, const MAX: usize> Text<MIN, MAX> {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = printable(raw)?.trim();
        if !(MIN..=MAX).contains(&trimmed.chars().count()) {
            return Err(ValueError::Length { min: MIN, max: MAX });
        }
        Ok(Text(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// RFC 5321 limits: a local part of at most 64 octets, a whole address of at most 254.
pub const MAX_LOCAL_PART: usize = 64;
pub const MAX_EMAIL: usize = 254;

/// A normalised (trimmed, lower-case) email address within the RFC 5321 limits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let email = crate::customer::normalize_email(printable(raw)?);
        let (local, domain) = email.split_once('@').ok_or(ValueError::Email)?;
        let valid = email.len() <= MAX_EMAIL
            && (1..=MAX_LOCAL_PART).contains(&local.len())
            && !email.contains(char::is_whitespace)
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.');
        if valid {
            Ok(Email(email))
        } else {
            Err(ValueError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stock-keeping unit as the seller typed it (case kept); [`Sku::normalized`] is its
/// uniqueness key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let sku = printable(raw)?.trim();
        let chars_ok = sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !chars_ok || !(1..=crate::product::MAX_SKU_CHARS).contains(&sku.len()) {
            return Err(ValueError::Sku);
        }
        Ok(Sku(sku.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn normalized(&self) -> String {
        crate::product::normalize_sku(&self.0)
    }
}

/// A count of units: `1..=MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity<const MAX: i64>(i64);

impl<const MAX: i64> Quantity<MAX> {
    pub fn parse(raw: i64) -> Result<Self, ValueError> {
        if (1..=MAX).contains(&raw) {
            Ok(Quantity(raw))
        } else {
            Err(ValueError::Range { min: 1, max: MAX })
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A positive price in rupiah minor units, at most [`crate::product::MAX_PRICE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price(Money);

impl Price {
    pub fn parse(amount: i64) -> Result<Self, ValueError> {
        let max = crate::product::MAX_PRICE;
        if (1..=max).contains(&amount) {
            Ok(Price(Money::idr(amount)))
        } else {
            Err(ValueError::Range { min: 1, max })
        }
    }

    pub fn money(self) -> Money {
        self.0
    }
}

/// A shipping address whose every field is bounded, printable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(ShippingAddress);

impl Address {
    /// Parses every field, reporting each invalid one under `shipping_address.<field>`.
    pub fn parse(raw: &ShippingAddress) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut field = |name: &'static str, value: &str, max: usize| -> String {
            match bounded(value, 1, max) {
                Ok(text) => text,
                Err(e) => {
                    errors.push(e.at(name));
                    String::new()
                }
            }
        };
        let address = ShippingAddress {
            recipient: field("shipping_address.recipient", &raw.recipient, 100),
            phone: field("shipping_address.phone", &raw.phone, 20),
            address: field("shipping_address.address", &raw.address, 500),
            city: field("shipping_address.city", &raw.city, 100),
            postal_code: field("shipping_address.postal_code", &raw.postal_code, 10),
            country_code: match bounded(&raw.country_code, 0, 3) {
                Ok(code) => code,
                Err(e) => {
                    errors.push(e.at("shipping_address.country_code"));
                    String::new()
                }
            },
            destination_id: raw.destination_id,
        };
        if errors.is_empty() {
            Ok(Address(address))
        } else {
            Err(errors)
        }
    }

    pub fn as_shipping(&self) -> &ShippingAddress {
        &self.0
    }
}

/// An Indonesian mobile number, normalised to `+628…`. Accepted as written `08…`, `628…` or
/// `+628…`, with spaces, dots, dashes or parentheses between digits; 9 to 12 digits after the
/// country code `62` (the operator prefix `8` included). Anything else is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let text = printable(raw)?.trim();
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | '-' | '(' | ')'))
        {
            return Err(ValueError::Phone);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let national = match (plus, digits.strip_prefix("62"), digits.strip_prefix('0')) {
            (true, Some(national), _) | (false, Some(national), _) => national,
            (false, None, Some(national)) => national,
            _ => return Err(ValueError::Phone),
        };
        if !national.starts_with('8') || !(9..=12).contains(&national.len()) {
            return Err(ValueError::Phone);
        }
        Ok(Phone(format!("+62{national}")))
    }

    /// `+628…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Trimmed printable text of `min..=max` characters (bounds chosen at run time).
pub fn bounded(raw: &str, min: usize, max: usize) -> Result<String, ValueError> {
    let trimmed = printable(raw)?.trim();
    if (min..=max).contains(&trimmed.chars().count()) {
        Ok(trimmed.to_owned())
    } else {
        Err(ValueError::Length { min, max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_mobile_numbers_are_normalised_and_others_refused() {
        for raw in [
            "081234567890",
            "6281234567890",
            "+6281234567890",
            "+62 812-3456-7890",
            "0812.3456.7890",
        ] {
            assert_eq!(
                Phone::parse(raw).unwrap().as_str(),
                "+6281234567890",
                "{raw}"
            );
        }
        for raw in [
            "",
            "12345",
            "+6512345678",
            "0212345678",
            "+62812",
            "62812345678901234",
            "0812abc4567",
            "+0812345678",
            "0812\u{7}34567",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn control_characters_are_refused_in_any_text() {
        assert_eq!(printable("Ani\u{7}"), Err(ValueError::ControlCharacter));
        assert_eq!(bounded("\u{0}", 1, 10), Err(ValueError::ControlCharacter));
        assert_eq!(
            Text::<1, 10>::parse("a\nb"),
            Err(ValueError::ControlCharacter)
        );
        assert_eq!(Text::<1, 10>::parse(" Ani ").unwrap().as_str(), "Ani");
    }

    #[test]
    fn an_email_beyond_the_rfc_5321_limits_is_refused() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(Email::parse(&long_local), Err(ValueError::Email));
        let ok_local = format!("{}@example.com", "a".repeat(64));
        assert!(Email::parse(&ok_local).is_ok());
        let long_total = format!("a@{}.com", "b".repeat(250));
        assert_eq!(Email::parse(&long_total), Err(ValueError::Email));
        assert_eq!(
            Email::parse(" Ani@Example.COM ").unwrap().as_str(),
            "ani@example.com"
        );
    }

    #[test]
    fn an_address_names_each_bad_field() {
        let raw = ShippingAddress {
            recipient: "\u{0}".into(),
            phone: "0812".into(),
            address: "Jl. Sudirman".into(),
            city: String::new(),
            postal_code: "12190".into(),
            country_code: String::new(),
            destination_id: None,
        };
        let errors = Address::parse(&raw).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["shipping_address.recipient", "shipping_address.city"]
        );
    }

    #[test]
    fn quantities_and_prices_have_bounds() {
        assert!(Quantity::<999>::parse(0).is_err());
        assert_eq!(Quantity::<999>::parse(3).unwrap().get(), 3);
        assert!(Price::parse(0).is_err());
        assert!(Sku::parse("ab c").is_err());
        assert_eq!(
            Sku::parse("ab-1").unwrap().normalized(),
            crate::product::normalize_sku("ab-1")
        );
    }
}
