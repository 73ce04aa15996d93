//! Deterministic tariffs: the cost of one service between two places for one weight.
//!
//! Weight is charged per started kilogram with a minimum of 1 kg (`ceil(grams / 1000)`, a
//! simulator choice the reference suggests). The per-kg rate grows with the great-circle
//! distance and is rounded up to a multiple of 500 rupiah; `etd` grows with distance too and is
//! written in the courier's own style, so clients have to treat it as free text.

use super::couriers::{Courier, EtdStyle, Service};
use super::places::Place;

/// One `data[]` row of a cost answer, before serialisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub name: &'static str,
    pub code: &'static str,
    pub service: &'static str,
    pub description: &'static str,
    pub cost: u64,
    pub etd: String,
}

/// Kilograms charged for `grams`: every started kilogram, at least one.
pub fn charged_kg(grams: u64) -> u64 {
    grams.div_ceil(1000).max(1)
}

/// Great-circle distance in whole km (haversine, Earth radius 6371 km).
pub fn distance_km(from: &Place, to: &Place) -> u32 {
    let (lat1, lat2) = (from.lat.to_radians(), to.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (to.lon - from.lon).to_radians();
    let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    let km = 2.0 * 6371.0 * a.sqrt().asin();
    // At most ~20000 km: the cast cannot truncate.
    km.round() as u32
}

/// Rupiah per kg for `service` over `km`, rounded up to a multiple of 500.
pub fn rate_per_kg(service: &Service, km: u32) -> u64 {
    let raw = service.base + service.per_1000km * u64::from(km) / 1000;
    raw.div_ceil(500) * 500
}

fn etd(style: EtdStyle, service: &Service, km: u32) -> String {
    let low = service.min_days + service.days_per_1000km * km / 1000;
    let high = if service.days_per_1000km == 0 {
        low
    } else {
        low + 1
    };
    let days = if low == high {
        low.to_string()
    } else {
        format!("{low}-{high}")
    };
    match style {
        EtdStyle::Days => format!("{days} day"),
        EtdStyle::Bare => days,
        EtdStyle::Empty => String::new(),
    }
}

/// Every service of `courier` that serves `from` → `to`, with its cost for `grams`.
pub fn quotes(courier: &Courier, from: &Place, to: &Place, grams: u64) -> Vec<Quote> {
    let km = distance_km(from, to);
    courier
        .services
        .iter()
        .filter(|s| s.max_km.is_none_or(|max| km <= max))
        .map(|s| Quote {
            name: courier.name,
            code: courier.code,
            service: s.code,
            description: s.description,
            cost: rate_per_kg(s, km) * charged_kg(grams),
            etd: etd(courier.etd, s, km),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::couriers::courier;
    use super::super::places::place_by_id;
    use super::*;

    #[test]
    fn weight_is_charged_per_started_kilogram_with_a_minimum_of_one() {
        assert_eq!(charged_kg(1), 1);
        assert_eq!(charged_kg(1000), 1);
        assert_eq!(charged_kg(1001), 2);
        assert_eq!(charged_kg(1700), 2);
    }

    #[test]
    fn jakarta_to_surabaya_is_about_660_km() {
        let jakarta = place_by_id(17373).unwrap();
        let surabaya = place_by_id(35190).unwrap();
        assert!((640..=680).contains(&distance_km(jakarta, surabaya)));
    }

    #[test]
    fn next_day_services_do_not_reach_papua_from_jakarta() {
        let jakarta = place_by_id(17373).unwrap();
        let jayapura = place_by_id(46833).unwrap();
        let services = quotes(courier("jne").unwrap(), jakarta, jayapura, 1000);
        assert!(services.iter().all(|q| q.service != "YES"));
        assert_eq!(services.len(), 2);
    }
}
