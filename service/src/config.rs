//! Reading configuration from the environment: one lookup rule (empty counts as unset), parse
//! helpers whose errors name the variable, [`Secret`], the one rule every signing key
//! follows ([`MIN_SECRET_BYTES`]) and development mode (`PASAR_ENV=development`).

use std::fmt;
use std::str::FromStr;

/// The shortest secret any service accepts, in bytes (an HS256 key should be at least as long
/// as its 256-bit output).
pub const MIN_SECRET_BYTES: usize = 32;

/// The variable that switches on development mode.
pub const PASAR_ENV: &str = "PASAR_ENV";

/// A value that must not reach logs: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`; no rule is checked (see [`Env::required_secret`] for that).
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it (a signing key, a header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A variable that is missing or unusable; the message says what is expected.
#[derive(Debug, thiserror::Error)]
#[error("invalid {variable}: {message}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it and what would be right.
    pub message: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: &'static str, message: impl fmt::Display) -> Self {
        ConfigError {
            variable,
            message: message.to_string(),
        }
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// A source of variables: the process environment or, in tests, a closure.
pub struct Env {
    lookup: Lookup,
}

impl Env {
    /// The process environment.
    pub fn process() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Variables from `lookup` (tests pass a closure instead of mutating the process).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Env {
            lookup: Box::new(lookup),
        }
    }

    /// Exactly the variables in `pairs` (for tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::from_lookup(move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    /// The value of `name`; empty or blank counts as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value of `name`, or `default` when unset.
    pub fn get_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// `name` parsed as a `T`, `None` when unset; an unparsable value names the variable.
    pub fn parse<T>(&self, name: &'static str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.get(name)
            .map(|value| {
                value
                    .trim()
                    .parse()
                    .map_err(|e| ConfigError::new(name, format!("{value:?}: {e}")))
            })
            .transpose()
    }

    /// `name` parsed as a `T`, `default` when unset.
    pub fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        Ok(self.parse(name)?.unwrap_or(default))
    }

    /// Whether `PASAR_ENV=development`. Unset or `production` is production; any other value
    /// is refused, so a typo never relaxes a rule.
    pub fn development(&self) -> Result<bool, ConfigError> {
        match self.get(PASAR_ENV).as_deref().map(str::trim) {
            None | Some("production") => Ok(false),
            Some("development") => Ok(true),
            Some(other) => Err(ConfigError::new(
                PASAR_ENV,
                format!("{other:?} (expected development or production)"),
            )),
        }
    }

    /// The secret in `name`, `None` when unset; one shorter than [`MIN_SECRET_BYTES`] is
    /// refused.
    pub fn secret(&self, name: &'static str) -> Result<Option<Secret>, ConfigError> {
        match self.get(name) {
            Some(value) if value.len() < MIN_SECRET_BYTES => Err(ConfigError::new(
                name,
                format!(
                    "must be at least {MIN_SECRET_BYTES} bytes (it has {}); generate one with `openssl rand -hex 32`",
                    value.len()
                ),
            )),
            value => Ok(value.map(Secret::new)),
        }
    }

    /// The secret in `name`, which must be set (in every mode: a key built into the binary
    /// would be public) and at least [`MIN_SECRET_BYTES`] long.
    pub fn required_secret(&self, name: &'static str) -> Result<Secret, ConfigError> {
        self.secret(name)?.ok_or_else(|| {
            ConfigError::new(
                name,
                format!(
                    "is not set; it must be at least {MIN_SECRET_BYTES} bytes, e.g. `openssl rand -hex 32` \
                     (in development, scripts/dev generates one)"
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs)
    }

    #[test]
    fn an_empty_variable_counts_as_unset() {
        let env = env(&[("A", ""), ("B", "  ")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.get_or("B", "x"), "x");
    }

    #[test]
    fn a_bad_number_names_its_variable() {
        let error = env(&[("WAIT_MS", "soon")])
            .parse_or("WAIT_MS", 5u64)
            .unwrap_err();
        assert_eq!(error.variable, "WAIT_MS");
        assert!(error.to_string().contains("soon"), "{error}");
    }

    #[test]
    fn a_missing_secret_is_refused_naming_it() {
        let error = env(&[]).required_secret("JWT_SECRET").unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
        assert!(error.to_string().contains("not set"), "{error}");
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        let error = env(&[("JWT_SECRET", "0123456789abcdef0123456789abcde")])
            .required_secret("JWT_SECRET")
            .unwrap_err();
        assert_eq!(error.variable, "JWT_SECRET");
        let secret = env(&[("JWT_SECRET", "0123456789abcdef0123456789abcdef")])
            .required_secret("JWT_SECRET")
            .unwrap();
        assert_eq!(secret.expose().len(), 32);
    }

    #[test]
    fn development_mode_is_spelled_out_or_refused() {
        assert!(!env(&[]).development().unwrap());
        assert!(!env(&[("PASAR_ENV", "production")]).development().unwrap());
        assert!(env(&[("PASAR_ENV", "development")]).development().unwrap());
        let error = env(&[("PASAR_ENV", "dev")]).development().unwrap_err();
        assert_eq!(error.variable, "PASAR_ENV");
    }

    #[test]
    fn a_secret_never_prints() {
        let secret = Secret::new("hunter2-hunter2-hunter2-hunter2-xx");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
    }
}
