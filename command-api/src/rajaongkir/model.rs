//! What the client returns, and how it reads RajaOngkir's `data` rows into it. Rows are read
//! strictly: a missing field, a negative or fractional `cost`, or a non-integer id makes the
//! whole answer an [`ShippingError::InvalidResponse`], never a half-read list.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::ShippingError;

/// One location from the destination search: the id to quote with, and its names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// The subdistrict-level id that `origin` / `destination` take in a quote.
    pub id: u32,
    /// `SUBDISTRICT, DISTRICT, CITY, PROVINCE, ZIP`, ready to show.
    pub label: String,
    pub province_name: String,
    pub city_name: String,
    pub district_name: String,
    pub subdistrict_name: String,
    /// Postal code as text (it can be `"0"` when unknown).
    pub zip_code: String,
}

/// One courier service that can carry the parcel, with its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourierService {
    /// Courier code as used in requests, e.g. `jne`.
    pub courier: String,
    /// Courier display name, e.g. `Jalur Nugraha Ekakurir (JNE)`.
    pub courier_name: String,
    /// Service code, e.g. `REG`; unique per courier within one quote.
    pub service: String,
    /// RajaOngkir's description, for display only (it can be odd, e.g. `"240"`).
    pub description: String,
    /// Price for the whole parcel, in whole rupiah.
    pub cost: u64,
    /// Estimated delivery time as free text (`"2-3 day"`, `"1"`, or empty); never parse it.
    pub etd: String,
}

#[derive(Deserialize)]
struct CostRow {
    name: String,
    code: String,
    service: String,
    description: String,
    cost: u64,
    etd: Option<String>,
}

impl From<CostRow> for CourierService {
    fn from(row: CostRow) -> Self {
        CourierService {
            courier: row.code.to_lowercase(),
            courier_name: row.name,
            service: row.service,
            description: row.description,
            cost: row.cost,
            etd: row.etd.unwrap_or_default(),
        }
    }
}

/// Reads `data` as a list of `T`, failing as a whole on any bad row.
fn rows<T: for<'de> Deserialize<'de>>(data: Value, what: &str) -> Result<Vec<T>, ShippingError> {
    if !data.is_array() {
        return Err(ShippingError::invalid_response(format!(
            "{what}: `data` is not a list"
        )));
    }
    serde_json::from_value(data)
        .map_err(|e| ShippingError::invalid_response(format!("{what}: unreadable row: {e}")))
}

/// The rows of a destination search answer.
pub fn destinations(data: Value) -> Result<Vec<Destination>, ShippingError> {
    rows(data, "destination search")
}

/// The rows of a cost answer, cheapest first (ties keep RajaOngkir's order).
pub fn courier_services(data: Value) -> Result<Vec<CourierService>, ShippingError> {
    let mut services: Vec<CourierService> = rows::<CostRow>(data, "cost calculation")?
        .into_iter()
        .map(CourierService::from)
        .collect();
    services.sort_by_key(|s| s.cost);
    Ok(services)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cost_rows_become_services_sorted_by_cost_with_etd_kept_as_text() {
        let data = json!([
            { "name": "JNE", "code": "jne", "service": "YES", "description": "Yakin Esok Sampai", "cost": 36000, "etd": "1 day" },
            { "name": "J&T Express", "code": "jnt", "service": "EZ", "description": "Reguler", "cost": 17000, "etd": "" },
        ]);

        let services = courier_services(data).unwrap();

        assert_eq!(services[0].courier, "jnt");
        assert_eq!(services[0].cost, 17000);
        assert_eq!(services[0].etd, "");
        assert_eq!(services[1].etd, "1 day");
    }

    #[test]
    fn a_fractional_or_negative_cost_makes_the_answer_invalid() {
        for cost in [json!(15000.5), json!(-1), json!("15000")] {
            let data = json!([{ "name": "T", "code": "tiki", "service": "ECO", "description": "", "cost": cost, "etd": "" }]);
            assert!(matches!(
                courier_services(data),
                Err(ShippingError::InvalidResponse { .. })
            ));
        }
    }

    #[test]
    fn data_that_is_not_a_list_is_invalid() {
        assert!(matches!(
            destinations(Value::Null),
            Err(ShippingError::InvalidResponse { .. })
        ));
    }
}
