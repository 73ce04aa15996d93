//! CORS for browser clients, the same for the command API and the query API.
//!
//! `CORS_ALLOWED_ORIGINS` is a comma-separated list of origins (`https://shop.example`), or
//! `*` for any origin. Unset (the default) means no CORS headers at all: browsers then refuse
//! cross-origin calls, which is right for an API only servers talk to. Credentials (cookies,
//! TLS client certificates) are never allowed: the API authenticates with a bearer token that
//! the page sends itself, so nothing needs them, and with `*` they would be unsafe.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::config::{ConfigError, Env};

pub const VARIABLE: &str = "CORS_ALLOWED_ORIGINS";

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No CORS headers (the default).
    #[default]
    None,
    /// `*`: any origin, never with credentials.
    Any,
    /// Exactly these origins.
    List(Vec<HeaderValue>),
}

impl CorsOrigins {
    /// Reads [`VARIABLE`]; an origin that is not a valid header value is refused by name.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.get(VARIABLE) {
            None => Ok(Self::None),
            Some(raw) => Self::parse(&raw).map_err(|reason| ConfigError::new(VARIABLE, reason)),
        }
    }

    /// `*`, or origins separated by commas (blanks around them ignored).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let origins: Vec<&str> = raw
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        if origins.is_empty() {
            return Ok(Self::None);
        }
        if origins.contains(&"*") {
            if origins.len() > 1 {
                return Err("`*` cannot be combined with other origins".into());
            }
            return Ok(Self::Any);
        }
        origins
            .into_iter()
            .map(|origin| {
                let scheme = origin.starts_with("http://") || origin.starts_with("https://");
                let value = HeaderValue::from_str(origin.trim_end_matches('/')).ok();
                value
                    .filter(|_| scheme)
                    .ok_or_else(|| format!("{origin:?} is not an origin like https://shop.example"))
            })
            .collect::<Result<_, _>>()
            .map(Self::List)
    }

    /// The layer to wrap a router in, or `None` when no origin is allowed.
    pub fn layer(&self) -> Option<CorsLayer> {
        let origin = match self {
            Self::None => return None,
            Self::Any => AllowOrigin::from(Any),
            Self::List(origins) => AllowOrigin::list(origins.iter().cloned()),
        };
        Some(
            CorsLayer::new()
                .allow_origin(origin)
                .allow_methods([
                    Method::GET,
                    Method::POST,
                    Method::PUT,
                    Method::PATCH,
                    Method::DELETE,
                ])
                .allow_headers(ALLOWED_HEADERS)
                .expose_headers(EXPOSED_HEADERS)
                .allow_credentials(false)
                .max_age(Duration::from_secs(600)),
        )
    }
}

/// Request headers a browser page may send.
pub const ALLOWED_HEADERS: [HeaderName; 4] = [
    header::AUTHORIZATION,
    header::CONTENT_TYPE,
    HeaderName::from_static("idempotency-key"),
    HeaderName::from_static("x-consistency-token"),
];

/// Response headers a browser page may read.
pub const EXPOSED_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("x-consistency-token"),
    HeaderName::from_static("x-request-id"),
    header::RETRY_AFTER,
];

/// Wraps `router` in the CORS layer, if any origin is allowed.
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    origins: &CorsOrigins,
) -> axum::Router<S> {
    match origins.layer() {
        Some(layer) => router.layer(layer),
        None => router,
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    async fn preflight(origins: &CorsOrigins, origin: &str) -> axum::response::Response {
        let app = apply(
            Router::new().route("/v1/x", get(|| async { "ok" })),
            origins,
        );
        let request = Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/x")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "authorization,content-type,idempotency-key",
            )
            .body(Body::empty())
            .unwrap();
        app.oneshot(request).await.unwrap()
    }

    fn header_text(response: &axum::response::Response, name: HeaderName) -> String {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_lowercase())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_preflight_from_an_allowed_origin_is_answered_and_others_are_not() {
        let origins = CorsOrigins::parse("https://shop.example, https://admin.example").unwrap();
        let allowed = preflight(&origins, "https://admin.example").await;
        assert_eq!(allowed.status(), StatusCode::OK);
        assert_eq!(
            header_text(&allowed, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "https://admin.example"
        );
        let headers = header_text(&allowed, header::ACCESS_CONTROL_ALLOW_HEADERS);
        for name in ALLOWED_HEADERS {
            assert!(headers.contains(name.as_str()), "{headers}");
        }
        assert!(header_text(&allowed, header::ACCESS_CONTROL_ALLOW_METHODS).contains("post"));
        assert!(
            allowed
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
                .is_none()
        );

        let other = preflight(&origins, "https://evil.example").await;
        assert!(
            other
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
                .is_none()
        );
    }

    #[tokio::test]
    async fn by_default_no_cors_headers_are_sent() {
        let response = preflight(&CorsOrigins::default(), "https://shop.example").await;
        assert!(
            response
                .headers()
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-"))
        );
        assert_eq!(CorsOrigins::parse(" ").unwrap(), CorsOrigins::None);
    }

    #[tokio::test]
    async fn any_origin_never_allows_credentials_and_exposes_the_tokens() {
        let origins = CorsOrigins::parse("*").unwrap();
        let response = preflight(&origins, "https://anything.example").await;
        assert_eq!(
            header_text(&response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "*"
        );
        assert!(
            response
                .headers()
                .get(header::ACCESS_CONTROL_ALLOW_CREDENTIALS)
                .is_none()
        );
        // A simple request gets the exposed headers.
        let app = apply(
            Router::new().route("/v1/x", get(|| async { "ok" })),
            &origins,
        );
        let request = Request::builder()
            .uri("/v1/x")
            .header(header::ORIGIN, "https://anything.example")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        let exposed = header_text(&response, header::ACCESS_CONTROL_EXPOSE_HEADERS);
        for name in EXPOSED_HEADERS {
            assert!(exposed.contains(name.as_str()), "{exposed}");
        }
    }

    #[test]
    fn odd_values_are_refused() {
        assert!(CorsOrigins::parse("*, https://a.example").is_err());
        assert!(CorsOrigins::parse("shop.example").is_err());
    }
}
