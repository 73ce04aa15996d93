//! The one error type of the command API and its RFC 9457 problem+json rendering.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pasar_domain::FieldError;
use pasar_service::AuthError;

use crate::passwords::PasswordError;
use crate::throttle::Throttled;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 422: fields failed validation.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 401: no or bad credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("{0}")]
    NotFound(String),
    /// 409: the command conflicts with the current state (a domain rule, a lost race).
    #[error("{detail}")]
    Conflict {
        title: &'static str,
        detail: String,
        extra: Option<serde_json::Value>,
    },
    /// 422: a domain rule refused the command.
    #[error("{detail}")]
    Rejected { title: &'static str, detail: String },
    /// A recorded answer's problem (a refused checkout), with the status it was given.
    #[error("{detail}")]
    Problem {
        status: StatusCode,
        title: &'static str,
        detail: String,
        extra: Option<serde_json::Value>,
    },
    /// 503: a dependency is down; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 429 with `Retry-After`: too many failed logins for this account or address.
    #[error("too many failed logins")]
    TooManyAttempts { retry_after: Duration },
    /// 503 with `Retry-After`: every password-hashing slot is busy; nothing was checked.
    #[error("password hashing is busy")]
    Busy { retry_after: Duration },
    /// A dependency answered that it cannot serve now (RajaOngkir down or rate-limited): the
    /// status (503, or 502 for an unreadable answer) with `Retry-After`.
    #[error("{detail}")]
    RetryLater {
        status: StatusCode,
        title: &'static str,
        detail: String,
        retry_after: Duration,
    },
    /// 500: we could not record the outcome. Logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn rejected(title: &'static str, detail: impl ToString) -> Self {
        Self::Rejected {
            title,
            detail: detail.to_string(),
        }
    }
    pub fn conflict(title: &'static str, detail: impl ToString) -> Self {
        Self::Conflict {
            title,
            detail: detail.to_string(),
            extra: None,
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy { retry_after } => ApiError::Busy { retry_after },
            PasswordError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<Throttled> for ApiError {
    fn from(e: Throttled) -> Self {
        ApiError::TooManyAttempts {
            retry_after: e.retry_after,
        }
    }
}

const ONE_S: Duration = Duration::from_secs(1);

/// A problem with `Retry-After` in whole seconds, rounded up, at least 1.
fn retry_later(status: StatusCode, title: &str, detail: &str, after: Duration) -> Response {
    let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    let secs = u32::try_from(secs.max(1)).unwrap_or(u32::MAX);
    pasar_service::problem(status, title, detail)
        .retry_after(secs)
        .response()
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

/// Builds a problem+json response (through [`pasar_service::problem`]); the members of
/// `extra` (a JSON object) are added to the body.
pub fn problem(
    status: StatusCode,
    title: &str,
    detail: &str,
    extra: Option<serde_json::Value>,
) -> Response {
    pasar_service::problem(status, title, detail)
        .with_members(extra)
        .response()
}

impl IntoResponse for ApiError {
    // Longer than 60 lines: one flat arm per variant; splitting it would only hide which
    // status each variant gets.
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(d) => problem(StatusCode::BAD_REQUEST, "Bad request", &d, None),
            ApiError::Validation(errors) => pasar_service::problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Validation failed",
                "one or more fields are invalid",
            )
            .with_errors(errors)
            .response(),
            ApiError::Unauthorized(d) => {
                problem(StatusCode::UNAUTHORIZED, "Unauthorized", &d, None)
            }
            ApiError::Forbidden(d) => problem(StatusCode::FORBIDDEN, "Forbidden", &d, None),
            ApiError::NotFound(d) => problem(StatusCode::NOT_FOUND, "Not found", &d, None),
            ApiError::Conflict {
                title,
                detail,
                extra,
            } => problem(StatusCode::CONFLICT, title, &detail, extra),
            ApiError::Rejected { title, detail } => {
                problem(StatusCode::UNPROCESSABLE_ENTITY, title, &detail, None)
            }
            ApiError::Problem {
                status,
                title,
                detail,
                extra,
            } => problem(status, title, &detail, extra),
            ApiError::Unavailable(d) => {
                tracing::error!(detail = %d, "dependency unavailable");
                let detail = "a dependency is unavailable; retry shortly";
                retry_later(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable",
                    detail,
                    ONE_S,
                )
            }
            ApiError::TooManyAttempts { retry_after } => retry_later(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed logins",
                "too many failed logins; retry later",
                retry_after,
            ),
            ApiError::Busy { retry_after } => retry_later(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service busy",
                "too many logins at once; retry shortly",
                retry_after,
            ),
            ApiError::RetryLater {
                status,
                title,
                detail,
                retry_after,
            } => retry_later(status, title, &detail, retry_after),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal error",
                    "the command could not be recorded",
                    None,
                )
            }
        }
    }
}

/// A JSON body extractor whose rejections are problem+json (400 for unreadable JSON,
/// 415 for a wrong content type, 413 for a body over the limit).
pub struct Json<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => {
                let status = rejection.status();
                Err(problem(
                    status,
                    "Unreadable request body",
                    &rejection.body_text(),
                    None,
                ))
            }
        }
    }
}

/// A path-parameter extractor whose rejection is problem+json (400 `Bad request`, e.g. an id
/// that is not a UUID) instead of axum's plain text, as the OpenAPI document promises.
pub struct Path<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::BadRequest(rejection.body_text())),
        }
    }
}
