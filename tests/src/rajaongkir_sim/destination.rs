//! Location endpoints: the free-text search (`destination/domestic-destination`) and the
//! step-by-step lists (`destination/province`, `city/{province_id}`, `district/{city_id}`,
//! `sub-district/{district_id}`).
//!
//! Search matches every whitespace-separated word of `search`, case-insensitively, against a
//! row's label. A blank or missing `search`, or a `limit`/`offset` that is not a whole number,
//! is a 422; no match at all is a 404 with `data: null`; a page past the last match is an
//! empty `data: []`. An unknown id in a list path is a 404.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::envelope::{self, Refusal};
use super::places::{PLACES, Place};

/// Rows per page when `limit` is not given; larger limits are capped at [`MAX_LIMIT`].
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;

fn row(place: &Place) -> Value {
    json!({
        "id": place.id,
        "label": place.label(),
        "province_name": place.province,
        "city_name": place.city,
        "district_name": place.district,
        "subdistrict_name": place.subdistrict,
        "zip_code": place.zip,
    })
}

fn whole_number(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, Refusal> {
    match params.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| Refusal::invalid(format!("{name} must be a whole number"))),
    }
}

/// `GET destination/domestic-destination?search=&limit=&offset=`.
pub async fn search(Query(params): Query<HashMap<String, String>>) -> Response {
    let query = params.get("search").map(|s| s.trim().to_uppercase());
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return envelope::invalid("search is required");
    };
    let (limit, offset) = match (
        whole_number(&params, "limit"),
        whole_number(&params, "offset"),
    ) {
        (Ok(limit), Ok(offset)) => (
            limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT),
            offset.unwrap_or(0),
        ),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.into_response(),
    };
    let words: Vec<&str> = query.split_whitespace().collect();
    let matches: Vec<&Place> = PLACES
        .iter()
        .filter(|p| {
            let label = p.label();
            words.iter().all(|w| label.contains(w))
        })
        .collect();
    if matches.is_empty() {
        return envelope::not_found("Domestic destination not found");
    }
    let page: Vec<Value> = matches
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(row)
        .collect();
    envelope::success("Success Get Domestic Destinations", Value::Array(page))
}

/// Distinct `(id, name, zip)` entries of one level, in id order.
fn distinct(rows: impl Iterator<Item = Entry>) -> Vec<Value> {
    let unique: BTreeMap<u32, (&str, &str)> =
        rows.map(|(id, name, zip)| (id, (name, zip))).collect();
    unique
        .into_iter()
        .map(|(id, (name, zip))| json!({ "id": id, "name": name, "zip_code": zip }))
        .collect()
}

/// A path id; anything that is not a number matches nothing (and so answers 404).
fn parse_id(raw: &str) -> Option<u32> {
    raw.parse().ok()
}

fn list_or_404(message: &str, rows: Vec<Value>) -> Response {
    if rows.is_empty() {
        envelope::not_found("Data not found")
    } else {
        envelope::success(message, Value::Array(rows))
    }
}

/// `GET destination/province`: `[{id, name}]`.
pub async fn provinces() -> Response {
    let rows = distinct(PLACES.iter().map(|p| (p.province_id, p.province, "")))
        .into_iter()
        .map(|mut row| {
            if let Some(fields) = row.as_object_mut() {
                fields.remove("zip_code");
            }
            row
        })
        .collect();
    list_or_404("Success Get Province", rows)
}

/// One `(id, name, zip)` entry of a level.
type Entry = (u32, &'static str, &'static str);

/// The distinct `child` entries of the places whose `parent` id is `raw`.
fn children(
    raw: &str,
    message: &str,
    parent: fn(&Place) -> u32,
    child: fn(&Place) -> Entry,
) -> Response {
    let id = parse_id(raw);
    let rows = distinct(PLACES.iter().filter(|p| Some(parent(p)) == id).map(child));
    list_or_404(message, rows)
}

/// `GET destination/city/{province_id}`: `[{id, name, zip_code}]`.
pub async fn cities(Path(raw): Path<String>) -> Response {
    let message = "Success Get City By Province ID";
    children(
        &raw,
        message,
        |p| p.province_id,
        |p| (p.city_id, p.city, p.city_zip),
    )
}

/// `GET destination/district/{city_id}`: `[{id, name, zip_code}]` (`zip_code` is `"0"`).
pub async fn districts(Path(raw): Path<String>) -> Response {
    let message = "Success Get District By City ID";
    children(
        &raw,
        message,
        |p| p.city_id,
        |p| (p.district_id, p.district, "0"),
    )
}

/// `GET destination/sub-district/{district_id}`: `[{id, name, zip_code}]`.
pub async fn subdistricts(Path(raw): Path<String>) -> Response {
    let message = "Success Get Sub District By District ID";
    children(
        &raw,
        message,
        |p| p.district_id,
        |p| (p.id, p.subdistrict, p.zip),
    )
}
