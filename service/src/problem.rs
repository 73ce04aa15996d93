//! RFC 9457 problem details (`application/problem+json`). Each service's `ApiError` keeps the
//! only `IntoResponse` impl and builds its bodies here, so every service answers in one shape.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// Where problem `type` URIs live; the title's slug is appended.
pub const TYPE_BASE: &str = "https://pasar.dev/problems/";

/// A problem response under construction: `type`, `title`, `status`, `detail`, and optional
/// extension members (field errors, the available quantity, …).
#[derive(Debug, Clone)]
pub struct Problem {
    status: StatusCode,
    title: String,
    detail: String,
    members: Map<String, Value>,
    retry_after: Option<u32>,
}

/// A problem with `status`, `title` and `detail`; `type` is derived from the title.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Problem {
    Problem {
        status,
        title: title.to_owned(),
        detail: detail.to_owned(),
        members: Map::new(),
        retry_after: None,
    }
}

impl Problem {
    /// Adds an extension member (RFC 9457 §3.2). The standard members cannot be overwritten.
    pub fn with_member(mut self, name: &str, value: Value) -> Self {
        self.members.insert(name.to_owned(), value);
        self
    }

    /// Adds every member of `extra` when it is a JSON object; anything else is ignored.
    pub fn with_members(mut self, extra: Option<Value>) -> Self {
        if let Some(Value::Object(extra)) = extra {
            self.members.extend(extra);
        }
        self
    }

    /// Field errors, as an `errors` member.
    pub fn with_errors(self, errors: impl serde::Serialize) -> Self {
        let errors = serde_json::to_value(errors).unwrap_or(Value::Null);
        self.with_member("errors", errors)
    }

    /// A `Retry-After` header, in seconds.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let slug = self.title.to_lowercase().replace(' ', "-");
        let mut body = self.members.clone();
        let standard = json!({
            "type": format!("{TYPE_BASE}{slug}"),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Value::Object(standard) = standard {
            body.extend(standard);
        }
        Value::Object(body)
    }

    /// The HTTP response: status, `Content-Type: application/problem+json`, the body.
    pub fn response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_has_the_standard_members_and_its_extensions() {
        let p = problem(StatusCode::CONFLICT, "Insufficient stock", "only 2 left")
            .with_member("available", json!(2))
            .with_member("status", json!(999));
        let body = p.clone().body();
        assert_eq!(
            body["type"],
            "https://pasar.dev/problems/insufficient-stock"
        );
        assert_eq!(body["status"], 409, "a member never overrides status");
        assert_eq!(body["available"], 2);
        let response = p.retry_after(1).response();
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
