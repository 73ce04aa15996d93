//! `PUT /v1/me/avatar`: one image, judged by its bytes and re-encoded like a product image
//! ([`crate::media::inspect`]), stored content-addressed, recorded on the customer's stream;
//! the `avatar-thumbnails` processor then makes its square thumbnail.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::FieldError;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::images::read_files;
use super::super::input::IdempotencyKey;
use super::super::openapi::IdempotencyKeyHeader;
use super::{MeAnswer, me_json};
use crate::app::AppState;
use crate::app::profile;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::http::{accepted, actor};
use crate::media::inspect::MAX_IMAGE_BYTES;
use pasar_service::openapi::ProblemDetails as Problem;

/// The avatar route's body limit: one file of the largest size, and room for the form.
const AVATAR_BODY_LIMIT: usize = MAX_IMAGE_BYTES + 1024 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_avatar))
        .layer(DefaultBodyLimit::max(AVATAR_BODY_LIMIT))
}

/// `multipart/form-data` with exactly one file part (named `file`), a JPEG, PNG or WebP image
/// of at most 10 MiB. Its name and declared type are ignored: the bytes decide.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form for the OpenAPI document"
)]
struct AvatarForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Set my avatar
///
/// Replaces the caller's avatar with one image (JPEG, PNG or WebP, at most 10 MiB), checked by
/// its bytes exactly as product images are, stored re-encoded without metadata. Its square
/// 256 px thumbnail follows shortly (`processing: true` until then). Served by the query API
/// under `/v1/media/…`.
#[utoipa::path(
    put, path = "/v1/me/avatar", tag = "profile",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Stored and recorded; the account with its new avatar", body = MeAnswer),
        (status = 400, description = "The form or a header is unreadable", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over 10 MiB, or the request over the limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, or a file that is not a JPEG, PNG or WebP image", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file or more than one, a truncated, corrupt or oversized image (decompression bomb), or the Idempotency-Key used with another image", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store or the object store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn set_avatar(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let form = form.map_err(|e| ApiError::Problem {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        title: "Unsupported media type",
        detail: format!(
            "expected multipart/form-data with one file: {}",
            e.body_text()
        ),
        extra: None,
    })?;
    let mut files = read_files(form).await?;
    if files.len() != 1 {
        return Err(ApiError::Validation(vec![FieldError::new(
            "file",
            "must be exactly one image",
        )]));
    }
    let file = files.remove(0);
    let hash = hex::encode(Sha256::digest(&file.bytes));
    let key = key.for_request(&("avatar", &hash))?;
    let outcome = profile::set_avatar(&state, actor(&user), file, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        me_json(&outcome.state),
        outcome.position,
    ))
}
