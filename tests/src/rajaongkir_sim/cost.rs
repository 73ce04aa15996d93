//! `POST calculate/domestic-cost` and `POST calculate/district/domestic-cost`.
//!
//! The body must be `application/x-www-form-urlencoded` with `origin`, `destination` (integer
//! ids), `weight` (integer grams, at least 1), `courier` (`jne` or `jne:pos:tiki`) and
//! optionally `price` (`lowest` | `highest`). Anything else — another content type, a missing
//! or non-integer field, an unknown courier or price — is a 422 in the envelope. An id the
//! endpoint does not know is a 404. `domestic-cost` takes subdistrict ids (those the search
//! returns); the district variant also takes district ids, priced from the district's first
//! subdistrict.
//!
//! The answer is one flat row per service, sorted by cost ascending for `price=lowest`,
//! descending for `highest`, and otherwise in the order the couriers were asked for. A courier
//! with no service for the route (or switched to "empty" through `/_sim`) adds no row; if no
//! row is left the answer is still a 200 with `data: []` (the real behaviour is unconfirmed).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::couriers::{Courier, courier};
use super::envelope::{self, Refusal};
use super::places::{PLACES, Place, place_by_id};
use super::state::Inner;
use super::tariff::{Quote, quotes};

/// Which ids an endpoint accepts for `origin` and `destination`.
#[derive(Clone, Copy)]
enum Level {
    Subdistrict,
    DistrictOrSubdistrict,
}

/// A validated cost request.
struct CostRequest {
    origin: &'static Place,
    destination: &'static Place,
    grams: u64,
    couriers: Vec<&'static Courier>,
    price: Option<Price>,
}

#[derive(Clone, Copy)]
enum Price {
    Lowest,
    Highest,
}

type FormBody = Result<Form<HashMap<String, String>>, FormRejection>;

/// `POST calculate/domestic-cost`.
pub async fn domestic(State(inner): State<Arc<Inner>>, form: FormBody) -> Response {
    calculate(&inner, form, Level::Subdistrict)
}

/// `POST calculate/district/domestic-cost`.
pub async fn district(State(inner): State<Arc<Inner>>, form: FormBody) -> Response {
    calculate(&inner, form, Level::DistrictOrSubdistrict)
}

fn calculate(inner: &Inner, form: FormBody, level: Level) -> Response {
    let Ok(Form(fields)) = form else {
        return envelope::invalid("body must be application/x-www-form-urlencoded");
    };
    let request = match parse(&fields, level) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let mut rows: Vec<Quote> = request
        .couriers
        .iter()
        .filter(|c| !inner.is_empty_courier(c.code))
        .flat_map(|c| quotes(c, request.origin, request.destination, request.grams))
        .collect();
    match request.price {
        Some(Price::Lowest) => rows.sort_by_key(|q| q.cost),
        Some(Price::Highest) => rows.sort_by_key(|q| std::cmp::Reverse(q.cost)),
        None => {}
    }
    let data: Vec<Value> = rows.iter().map(row).collect();
    envelope::success(
        "Success Calculate Domestic Shipping cost",
        Value::Array(data),
    )
}

fn row(quote: &Quote) -> Value {
    json!({
        "name": quote.name,
        "code": quote.code,
        "service": quote.service,
        "description": quote.description,
        "cost": quote.cost,
        "etd": quote.etd,
    })
}

fn parse(fields: &HashMap<String, String>, level: Level) -> Result<CostRequest, Refusal> {
    let origin = location(fields, "origin", level)?;
    let destination = location(fields, "destination", level)?;
    let grams = integer(fields, "weight")?;
    if grams == 0 {
        return Err(Refusal::invalid("weight must be at least 1 gram"));
    }
    let couriers = couriers(fields)?;
    let price = match fields.get("price").map(|p| p.trim()) {
        None | Some("") => None,
        Some("lowest") => Some(Price::Lowest),
        Some("highest") => Some(Price::Highest),
        Some(_) => return Err(Refusal::invalid("price must be lowest or highest")),
    };
    Ok(CostRequest {
        origin,
        destination,
        grams,
        couriers,
        price,
    })
}

fn integer(fields: &HashMap<String, String>, name: &str) -> Result<u64, Refusal> {
    let raw = fields
        .get(name)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::invalid(format!("{name} is required")))?;
    raw.parse()
        .map_err(|_| Refusal::invalid(format!("{name} must be an integer")))
}

fn location(
    fields: &HashMap<String, String>,
    name: &str,
    level: Level,
) -> Result<&'static Place, Refusal> {
    let id = integer(fields, name)?;
    let id = u32::try_from(id).ok();
    let found = id.and_then(|id| match level {
        Level::Subdistrict => place_by_id(id),
        Level::DistrictOrSubdistrict => {
            place_by_id(id).or_else(|| PLACES.iter().find(|p| p.district_id == id))
        }
    });
    found.ok_or_else(|| Refusal::not_found(format!("{name} not found")))
}

fn couriers(fields: &HashMap<String, String>) -> Result<Vec<&'static Courier>, Refusal> {
    let raw = fields
        .get("courier")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Refusal::invalid("courier is required"))?;
    let mut found: Vec<&'static Courier> = Vec::new();
    for code in raw.split(':') {
        let code = code.trim().to_lowercase();
        let courier =
            courier(&code).ok_or_else(|| Refusal::invalid(format!("invalid courier {code}")))?;
        if !found.iter().any(|c| c.code == courier.code) {
            found.push(courier);
        }
    }
    Ok(found)
}
