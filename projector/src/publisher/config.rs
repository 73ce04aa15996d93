//! The publisher's configuration (`PUBLISHER_*` variables).

use super::{DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX};
use crate::config::ConfigError;

/// The publisher's configuration, read by `projector run` beside [`crate::Config`] (whose
/// `NATS_URL` and `DATABASE_URL` it also uses).
#[derive(Debug, Clone, PartialEq)]
pub struct PublisherConfig {
    /// Whether `projector run` publishes integration events (`PUBLISHER_ENABLED`, default true).
    pub enabled: bool,
    /// The JetStream stream (`PUBLISHER_STREAM`, default `PASAR_EVENTS`); created if missing.
    /// It must be the publisher's alone (see the module doc).
    pub stream: String,
    /// First subject token(s) (`PUBLISHER_SUBJECT_PREFIX`, default `pasar`): subjects are
    /// `<prefix>.<category>.<event_type>`.
    pub subject_prefix: String,
    /// Copies JetStream keeps of the stream when the publisher creates it
    /// (`PUBLISHER_STREAM_REPLICAS`, 1–5, default 1): 3 on a three-node NATS cluster survives
    /// the loss of any one node. An existing stream keeps its own setting.
    pub stream_replicas: usize,
}

impl Default for PublisherConfig {
    fn default() -> Self {
        PublisherConfig {
            enabled: true,
            stream: DEFAULT_STREAM.into(),
            subject_prefix: DEFAULT_SUBJECT_PREFIX.into(),
            stream_replicas: 1,
        }
    }
}

impl PublisherConfig {
    /// Reads `PUBLISHER_ENABLED`, `PUBLISHER_STREAM`, `PUBLISHER_SUBJECT_PREFIX` and
    /// `PUBLISHER_STREAM_REPLICAS`, with the
    /// defaults above.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`PublisherConfig::from_env`] with another source of variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let invalid = |variable, message: &str| ConfigError {
            variable,
            message: message.to_owned(),
        };
        let enabled = match get("PUBLISHER_ENABLED").as_deref() {
            None | Some("true" | "1") => true,
            Some("false" | "0") => false,
            Some(_) => return Err(invalid("PUBLISHER_ENABLED", "expected true or false")),
        };
        let stream = get("PUBLISHER_STREAM").unwrap_or_else(|| DEFAULT_STREAM.into());
        if stream
            .chars()
            .any(|c| matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace())
        {
            return Err(invalid(
                "PUBLISHER_STREAM",
                "a stream name has no '.', '*', '>', slashes or spaces",
            ));
        }
        let subject_prefix =
            get("PUBLISHER_SUBJECT_PREFIX").unwrap_or_else(|| DEFAULT_SUBJECT_PREFIX.into());
        let bad_token = |t: &str| {
            t.is_empty()
                || t.chars()
                    .any(|c| matches!(c, '*' | '>') || c.is_whitespace())
        };
        if subject_prefix.split('.').any(bad_token) {
            return Err(invalid(
                "PUBLISHER_SUBJECT_PREFIX",
                "expected subject tokens without wildcards or spaces, such as pasar",
            ));
        }
        let stream_replicas = match get("PUBLISHER_STREAM_REPLICAS") {
            None => 1,
            Some(n) => match n.parse() {
                Ok(n @ 1..=5) => n,
                _ => return Err(invalid("PUBLISHER_STREAM_REPLICAS", "expected 1 to 5")),
            },
        };
        Ok(PublisherConfig {
            enabled,
            stream,
            subject_prefix,
            stream_replicas,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_default_it_publishes_to_pasar_events_under_pasar() {
        let config = PublisherConfig::from_lookup(|_| None).unwrap();
        assert_eq!(config, PublisherConfig::default());
        assert!(config.enabled);
        assert_eq!(config.stream, "PASAR_EVENTS");
        assert_eq!(config.subject_prefix, "pasar");
        assert_eq!(config.stream_replicas, 1);
    }

    #[test]
    fn stream_and_prefix_come_from_the_environment() {
        let config = PublisherConfig::from_lookup(|name| match name {
            "PUBLISHER_ENABLED" => Some("false".into()),
            "PUBLISHER_STREAM" => Some("TEST_EVENTS".into()),
            "PUBLISHER_SUBJECT_PREFIX" => Some("test.a1".into()),
            "PUBLISHER_STREAM_REPLICAS" => Some("3".into()),
            _ => None,
        })
        .unwrap();
        assert!(!config.enabled);
        assert_eq!(config.stream, "TEST_EVENTS");
        assert_eq!(config.subject_prefix, "test.a1");
        assert_eq!(config.stream_replicas, 3);
    }

    #[test]
    fn unusable_values_name_their_variable() {
        for (variable, value) in [
            ("PUBLISHER_ENABLED", "maybe"),
            ("PUBLISHER_STREAM", "PASAR.EVENTS"),
            ("PUBLISHER_SUBJECT_PREFIX", "pasar.>"),
            ("PUBLISHER_SUBJECT_PREFIX", "pasar..x"),
            ("PUBLISHER_STREAM_REPLICAS", "0"),
            ("PUBLISHER_STREAM_REPLICAS", "6"),
            ("PUBLISHER_STREAM_REPLICAS", "three"),
        ] {
            let error =
                PublisherConfig::from_lookup(|name| (name == variable).then(|| value.to_owned()))
                    .unwrap_err();
            assert_eq!(error.variable, variable, "{value}");
        }
    }
}
