//! The V2 response envelope: `{"meta":{"message","code","status"},"data":...}`, with
//! `meta.code` mirroring the HTTP status and `data: null` on every error (reference §1.7).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// HTTP 200 with `meta.status = "success"` and `data`.
pub fn success(message: &str, data: Value) -> Response {
    let body = json!({
        "meta": { "message": message, "code": 200, "status": "success" },
        "data": data,
    });
    (StatusCode::OK, Json(body)).into_response()
}

/// An error in the envelope: HTTP `code`, `meta.code = code`, `status: "failed"`, `data: null`.
pub fn failed(code: StatusCode, message: &str) -> Response {
    let body = json!({
        "meta": { "message": message, "code": code.as_u16(), "status": "failed" },
        "data": Value::Null,
    });
    (code, Json(body)).into_response()
}

/// A refused request before it becomes a response (small, unlike `Response`, so helpers can
/// return it with `?`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    code: StatusCode,
    message: String,
}

impl Refusal {
    /// A 422: a parameter the endpoint cannot use.
    pub fn invalid(message: impl Into<String>) -> Self {
        Refusal {
            code: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
        }
    }

    /// A 404: an id the endpoint does not know.
    pub fn not_found(message: impl Into<String>) -> Self {
        Refusal {
            code: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        failed(self.code, &self.message)
    }
}

/// The documented answer to an unknown key (HTTP 400, reference §1.1 and §1.7).
pub fn invalid_key() -> Response {
    failed(StatusCode::BAD_REQUEST, "Invalid Api key, key not found")
}

/// A missing `key` header: HTTP 401 (the docs' "401 Unauthorized"; body shape unconfirmed).
pub fn missing_key() -> Response {
    failed(
        StatusCode::UNAUTHORIZED,
        "Unauthorized, api key is required",
    )
}

/// HTTP 422 for a parameter the endpoint cannot use.
pub fn invalid(message: &str) -> Response {
    failed(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// HTTP 404 with `data: null` (no match, unknown id).
pub fn not_found(message: &str) -> Response {
    failed(StatusCode::NOT_FOUND, message)
}

/// HTTP 429 in the envelope, with `Retry-After` (seconds) when one is given. The real API's
/// 429 body and headers are unconfirmed, so clients must cope with and without the header.
pub fn too_many_requests(message: &str, retry_after_secs: Option<u64>) -> Response {
    let mut response = failed(StatusCode::TOO_MANY_REQUESTS, message);
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// An injected server failure. A 500 comes from the API itself, in the envelope; 502–504 come
/// from a gateway in front of it, as an HTML page (so clients must not assume JSON).
pub fn server_failure(code: StatusCode) -> Response {
    if code == StatusCode::INTERNAL_SERVER_ERROR {
        return failed(code, "Internal Server Error");
    }
    let reason = code.canonical_reason().unwrap_or("Server Error");
    let page = format!(
        "<html><head><title>{0} {reason}</title></head><body><center><h1>{0} {reason}</h1></center></body></html>",
        code.as_u16()
    );
    (
        code,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}
