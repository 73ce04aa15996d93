//! `GET /v1/media/{folder}/{name}`: product images and thumbnails from the object store the
//! command API writes them to (the same `MEDIA_*` configuration). Keys are content addresses
//! (`images/<sha256>.jpg`), so what a key names never changes: cached for a year, immutable,
//! with the hash as a strong `ETag`. Anything but a key this shop writes is 404 before the
//! store is asked (no path traversal).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pasar_service::media::object_store::{self, path::Path as StorePath};
use pasar_service::media::{content_type, valid_key};

use super::openapi::ConsistencyTokenHeader;
use crate::AppState;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// The URL a stored object is served at on this API.
pub fn url(key: &str) -> String {
    pasar_projector::slices::catalog::images::media_url(key)
}

/// Get a stored image
///
/// A product image or thumbnail by its key (`images/<sha256>.<ext>` or
/// `thumbs/<sha256>.<ext>`, as the product's URLs give it), with its content type,
/// `X-Content-Type-Options: nosniff`, `Cache-Control: public, max-age=31536000, immutable`
/// and a strong `ETag` (`If-None-Match` answers 304). Content-addressed objects never
/// change, so `X-Consistency-Token` is only checked for form.
#[utoipa::path(
    get, path = "/v1/media/{folder}/{name}", tag = "catalog",
    params(
        ("folder" = String, Path, description = "`images` or `thumbs`"),
        ("name" = String, Path, description = "`<64 hex digits>.<jpg|png|webp>`"),
        ConsistencyTokenHeader,
    ),
    responses(
        (status = 200, description = "The stored bytes", content(
            (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = 304, description = "Not modified (`If-None-Match` named its ETag)"),
        (status = 400, description = "The consistency token is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a key this shop writes, or nothing stored under it", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The object store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((folder, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    state.consistency.require(&headers, &[]).await?;
    let key = format!("{folder}/{name}");
    let (true, Some(content_type)) = (valid_key(&key), content_type(&key)) else {
        return Err(not_found());
    };
    let etag = format!("\"{}\"", &name[..64]);
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = match state.media.get(&StorePath::from(key.as_str())).await {
            Ok(found) => found.bytes().await,
            Err(e) => Err(e),
        };
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => return Err(not_found()),
            Err(e) => {
                tracing::error!(%key, error = %e, "object store unavailable");
                return Err(ApiError::Unavailable("the image store".into()));
            }
        };
        let mut response = Body::from(bytes).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    Ok(response)
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such image".into())
}
