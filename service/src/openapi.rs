//! The OpenAPI 3.1 document and the API docs page, shared by the command API and the query API.
//!
//! Each service collects its handlers' `#[utoipa::path]` annotations through
//! `utoipa_axum::router::OpenApiRouter` (so a route is registered and documented by the same
//! line), then calls [`finish`] on the result: the bearer scheme, the problem+json schema and
//! the problems every operation can answer with (500 always; 401 where a token is required;
//! 400, 413, 415 and 422 where a JSON body is read). [`routes`] serves the document at
//! `GET /openapi.json` and the docs page at `GET /docs` (swagger-ui, vendored under
//! `service/assets/swagger-ui/` and compiled into the binary: no CDN, no internet).

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

/// The security scheme's name in the document.
pub const BEARER: &str = "bearer";
/// The media type of every error.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem (`application/problem+json`). Some problems carry extension
/// members besides these (`short_lines`, `unavailable_products`, `available`, …).
#[derive(ToSchema)]
#[schema(
    as = Problem,
    example = json!({
        "type": "https://pasar.dev/problems/validation-failed",
        "title": "Validation failed",
        "status": 422,
        "detail": "one or more fields are invalid",
        "errors": [{ "field": "price", "message": "must be between 1 and 1000000000 rupiah" }]
    })
)]
pub struct ProblemDetails {
    /// `https://pasar.dev/problems/<slug of the title>`.
    #[schema(format = "uri")]
    pub r#type: String,
    pub title: String,
    /// The HTTP status, repeated.
    pub status: u16,
    pub detail: String,
    /// Only on 422 `Validation failed`: every refused field.
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldErrorDetails>>,
}

/// One refused request field.
#[derive(ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDetails {
    pub field: String,
    pub message: String,
}

/// A problem+json response with `description`, for a `responses(...)` list or a modifier.
pub fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// Adds `status` → problem+json to `operation` unless the handler documented it already.
pub fn add_problem(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::T(problem_response(description)));
}

/// Every operation of the document with its method and path.
pub fn operations_mut(doc: &mut OpenApi) -> impl Iterator<Item = (&str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        .map(move |op| (path.as_str(), op))
    })
}

/// `(METHOD, path)` of every documented operation, sorted.
pub fn operations(doc: &OpenApi) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ];
        for (method, op) in methods {
            if op.is_some() {
                all.push((method.to_owned(), path.clone()));
            }
        }
    }
    all.sort();
    all
}

/// Completes a service's document: the bearer scheme, the problem schemas, and the problems
/// every operation can answer with that its handler does not spell out.
pub fn finish(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        BEARER.to_owned(),
        RefOr::T(SecurityScheme::Http(
            Http::builder()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An access token from the command API's `/v1/auth/register`, `/login` or \
                     `/refresh` (HS256, 15 minutes by default).",
                ))
                .build(),
        )),
    );
    let schemas: [(&str, RefOr<Schema>); 2] = [
        ("Problem", ProblemDetails::schema()),
        ("FieldError", FieldErrorDetails::schema()),
    ];
    for (name, schema) in schemas {
        components.schemas.insert(name.to_owned(), schema);
    }
    for (_, op) in operations_mut(doc) {
        add_common_problems(op);
    }
}

/// Adds to `op` the problems every operation of its kind can answer: 500 always, 401 when it
/// needs a token, 400 for a malformed header, and the body's 400, 413, 415 and 422.
fn add_common_problems(op: &mut Operation) {
    add_problem(
        op,
        500,
        "Internal error: the outcome could not be recorded or read",
    );
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        add_problem(op, 401, "No bearer token, or an invalid or expired one");
    }
    let takes_headers = op.parameters.as_ref().is_some_and(|params| {
        params
            .iter()
            .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Header)))
    });
    if takes_headers && op.request_body.is_none() {
        add_problem(
            op,
            400,
            "A malformed header (an `Idempotency-Key` that is not 1 to 255 printable \
             characters, a consistency token that is not one)",
        );
    }
    if op.request_body.is_some() {
        add_problem(
            op,
            400,
            "The request could not be read: a body that is not JSON of the expected \
             shape, or a malformed header or path parameter",
        );
        add_problem(op, 413, "The body is larger than the service accepts");
        add_problem(op, 415, "The body is not `application/json`");
        add_problem(
            op,
            422,
            "Validation failed: `errors` names every refused field",
        );
    }
}

const SWAGGER_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const SWAGGER_CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

/// The docs page: swagger-ui over `/openapi.json`, everything served from this binary.
const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Pasar API docs</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
"#;

/// `validatorUrl: null`: swagger-ui would otherwise ask an online validator about the document.
const DOCS_INIT: &str = r##"window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false
});
"##;

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /openapi.json` (the document, serialised once) and `GET /docs` with its assets.
/// Neither is in the document itself: they describe the API rather than being part of it.
pub fn routes<S: Clone + Send + Sync + 'static>(doc: &OpenApi) -> Router<S> {
    let json = match doc.to_json() {
        Ok(json) => Some(Bytes::from(json)),
        // Serialising a tree of strings and maps cannot fail; answer 500 rather than panic.
        Err(e) => {
            tracing::error!(error = %e, "serialising the OpenAPI document");
            None
        }
    };
    Router::new()
        .route(
            "/openapi.json",
            get(move || async move {
                match json {
                    Some(json) => {
                        ([(header::CONTENT_TYPE, "application/json")], json).into_response()
                    }
                    None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                }
            }),
        )
        .route("/docs", get(|| async { Html(DOCS_HTML) }))
        .route(
            "/docs/init.js",
            get(|| async { asset("text/javascript", DOCS_INIT.as_bytes()) }),
        )
        .route(
            "/docs/swagger-ui-bundle.js",
            get(|| async { asset("text/javascript", SWAGGER_JS) }),
        )
        .route(
            "/docs/swagger-ui.css",
            get(|| async { asset("text/css", SWAGGER_CSS) }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_page_loads_nothing_from_elsewhere() {
        for text in [DOCS_HTML, DOCS_INIT] {
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{text}"
            );
        }
        assert!(SWAGGER_JS.len() > 100_000 && SWAGGER_CSS.len() > 10_000);
    }
}
