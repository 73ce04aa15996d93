//! [`Sensitive`]: a value that never leaves the command side. Its stored form is marked
//! (`{"$sensitive": value}`), so anything that ships events elsewhere (the NATS publisher)
//! redacts by type, at any depth, without a list of field names to keep in step.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The key of a sensitive value's stored form.
pub const SENSITIVE_KEY: &str = "$sensitive";

/// A secret inside an event (a Snap token, a payment page URL). `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// The secret itself: only for the one place that must hand it to its owner.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Serialize, Deserialize)]
struct Marked<T> {
    #[serde(rename = "$sensitive")]
    value: T,
}

impl<T: Serialize> Serialize for Sensitive<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Marked { value: &self.0 }.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Marked::<T>::deserialize(deserializer).map(|m| Sensitive(m.value))
    }
}

/// Whether `value` is the stored form of a [`Sensitive`].
pub fn is_sensitive(value: &serde_json::Value) -> bool {
    value
        .as_object()
        .is_some_and(|map| map.len() == 1 && map.contains_key(SENSITIVE_KEY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sensitive_value_is_marked_in_json_and_hidden_in_debug() {
        let secret = Sensitive::new("snap-token".to_owned());
        let json = serde_json::to_value(&secret).unwrap();
        assert_eq!(json, serde_json::json!({ "$sensitive": "snap-token" }));
        assert!(is_sensitive(&json));
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let back: Sensitive<String> = serde_json::from_value(json).unwrap();
        assert_eq!(back.expose(), "snap-token");
    }
}
