//! Schema evolution by upcasting on read.
//!
//! Stored events are never edited. When an event's shape changes, its schema version goes up
//! by one and a step is added here that turns the previous version's JSON into the new one.
//! Reading runs the chain keyed by (event type, version) until the current version, so the
//! domain, the projector and the reactors only ever see the current shape.
//!
//! To change an event: add the field (or rename, or split) in `types`, write the step below,
//! add a golden fixture of the new version in `events/tests/fixtures/` and keep the old one:
//! the fixtures test proves every version ever written still decodes.

use serde_json::{Value, json};

/// Turns the JSON of version `n` into version `n + 1`.
type Step = fn(Value) -> Value;

/// (event type, version it upgrades from, step). One entry per version bump, in any order.
const STEPS: &[(&str, i32, Step)] = &[
    ("ProductListed", 1, product_listed_v1_to_v2),
    ("CheckoutAnswered", 1, checkout_answered_v1_to_v2),
    ("OrderRefunded", 1, order_refunded_v1_to_v2),
];

/// v2 added `refund_id`, the request a refund settles. v1 refunds had no request.
fn order_refunded_v1_to_v2(mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.entry("refund_id").or_insert(Value::Null);
    }
    data
}

/// v2 records a typed outcome. A v1 answer was an HTTP status and body: it becomes the
/// `recorded` outcome, replayed exactly as it was first sent.
fn checkout_answered_v1_to_v2(data: Value) -> Value {
    json!({
        "outcome": {
            "kind": "recorded",
            "status": data["status"],
            "body": data["body"],
            "consistency_token": data["consistency_token"],
        }
    })
}

/// v2 added `condition` (new / used / refurbished). Everything listed before it was sold new.
fn product_listed_v1_to_v2(mut data: Value) -> Value {
    if let Some(map) = data.as_object_mut() {
        map.entry("condition").or_insert_with(|| json!("new"));
    }
    data
}

/// The version new events of this type are written at.
pub fn current_version(event_type: &str) -> i32 {
    1 + STEPS.iter().filter(|(t, _, _)| *t == event_type).count() as i32
}

/// Brings stored JSON of `(event_type, version)` to the current version. Returns the version
/// reached: lower than [`current_version`] only if a step is missing, higher only for events
/// written by a newer build (which this build cannot read).
pub fn upcast(event_type: &str, mut version: i32, mut data: Value) -> (i32, Value) {
    while let Some((_, _, step)) = STEPS
        .iter()
        .find(|(t, from, _)| *t == event_type && *from == version)
    {
        data = step(data);
        version += 1;
    }
    (version, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_type_has_one_unbroken_chain() {
        for (event_type, _, _) in STEPS {
            let froms: Vec<i32> = STEPS
                .iter()
                .filter(|(t, _, _)| t == event_type)
                .map(|(_, f, _)| *f)
                .collect();
            let mut sorted = froms.clone();
            sorted.sort_unstable();
            assert_eq!(
                sorted,
                (1..=froms.len() as i32).collect::<Vec<_>>(),
                "{event_type} steps 1..n"
            );
        }
    }

    #[test]
    fn a_v1_product_listing_reads_as_sold_new() {
        let (version, data) = upcast("ProductListed", 1, json!({ "name": "Kaos" }));
        assert_eq!(version, current_version("ProductListed"));
        assert_eq!(data["condition"], "new");
        let (_, answer) = upcast(
            "CheckoutAnswered",
            1,
            json!({ "status": 409, "body": { "title": "x" }, "consistency_token": null }),
        );
        assert_eq!(answer["outcome"]["kind"], "recorded");
        assert_eq!(answer["outcome"]["status"], 409);
        assert_eq!(answer["outcome"]["body"]["title"], "x");
        assert_eq!(
            upcast("CartItemAdded", 1, json!({})).0,
            1,
            "types without steps stay as they are"
        );
    }
}
