//! Money as an integer number of minor units. No floating point near money.

use serde::{Deserialize, Serialize};

/// ISO 4217 currency. Only IDR is sold today. Rupiah prices carry no fractional part in
/// practice (Midtrans takes integer amounts), so for IDR one minor unit is one rupiah.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Currency {
    #[default]
    IDR,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (rupiah for IDR).
    pub amount: i64,
    pub currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount overflows")]
    Overflow,
    #[error("currencies differ")]
    CurrencyMismatch,
}

impl Money {
    pub const fn idr(amount: i64) -> Self {
        Money {
            amount,
            currency: Currency::IDR,
        }
    }

    pub const fn zero(currency: Currency) -> Self {
        Money {
            amount: 0,
            currency,
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }
}
