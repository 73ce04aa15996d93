//! The one error type of the query API and its RFC 9457 problem+json rendering.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pasar_service::AuthError;

/// Every way a query can fail. Status next to each variant.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: unusable query parameters, cursor or consistency token.
    #[error("{0}")]
    BadRequest(String),
    /// 422: a query parameter that parses but is not acceptable (which one, and why).
    #[error("invalid {field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// 401: no bearer token, or one that is invalid or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but this role may not use the route.
    #[error("{0}")]
    Forbidden(String),
    /// 404: unknown, or not the caller's to see (the two are indistinguishable on purpose).
    #[error("{0}")]
    NotFound(String),
    /// 503 with `Retry-After: 1`: the projections did not reach the consistency token in time.
    #[error("the read models have not caught up with {token} yet")]
    NotYetConsistent { token: String },
    /// 503: the read-model database is unreachable.
    #[error("read models unavailable: {0}")]
    Unavailable(String),
    /// 500: anything else; logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// Shorthand for [`ApiError::Invalid`].
    pub fn invalid(field: &'static str, message: &str) -> Self {
        ApiError::Invalid {
            field,
            message: message.to_owned(),
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.is_closed() {
            return ApiError::Unavailable(e.to_string());
        }
        ApiError::Internal(anyhow::Error::new(e).context("querying the read models"))
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Unauthorized(d) => ApiError::Unauthorized(d),
            AuthError::Forbidden(d) => ApiError::Forbidden(d),
            e @ AuthError::Signing(_) => ApiError::Internal(e.into()),
        }
    }
}

/// Builds a problem+json response (through [`pasar_service::problem`]).
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    pasar_service::problem(status, title, detail).response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(d) => problem(StatusCode::BAD_REQUEST, "Bad request", &d),
            ApiError::Invalid { field, message } => pasar_service::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed",
                &format!("{field}: {message}"),
            )
            .with_errors(serde_json::json!([{ "field": field, "message": message }]))
            .response(),
            ApiError::Unauthorized(d) => {
                let mut response = problem(StatusCode::UNAUTHORIZED, "Unauthorized", &d);
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            ApiError::Forbidden(d) => problem(StatusCode::FORBIDDEN, "Forbidden", &d),
            ApiError::NotFound(d) => problem(StatusCode::NOT_FOUND, "Not found", &d),
            e @ ApiError::NotYetConsistent { .. } => pasar_service::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Not yet consistent",
                &e.to_string(),
            )
            .retry_after(1)
            .response(),
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "read models unavailable");
                pasar_service::problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    "the read models are unavailable; retry shortly",
                )
                .retry_after(1)
                .response()
            }
            ApiError::Internal(e) => {
                // Logged once, here, inside the request's span.
                tracing::error!(error = format!("{e:#}"), "query failed");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "the query could not be answered",
                )
            }
        }
    }
}
