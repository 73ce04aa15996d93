//! `/v1/products/{product_id}/images`: uploading (multipart, the only route with a larger body
//! limit), removing and ordering a product's images and choosing its cover. What an upload
//! may be is decided by its bytes ([`crate::media::inspect`]).

use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::product::{MAX_IMAGES, MAX_IMAGES_PER_UPLOAD, Product};
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::IdempotencyKey;
use super::openapi::{IdempotencyKeyHeader, ImagesAnswer};
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::images::{self, ImageChange, Upload};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use crate::media::inspect::{ImageRefusal, MAX_IMAGE_BYTES};
use pasar_service::openapi::ProblemDetails as Problem;

/// The upload route's body limit: ten files of the largest size, and room for the form.
pub const UPLOAD_BODY_LIMIT: usize = MAX_IMAGES_PER_UPLOAD * MAX_IMAGE_BYTES + 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    let upload = OpenApiRouter::new()
        .routes(routes!(upload_images))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(remove_image))
        .routes(routes!(reorder_images))
        .routes(routes!(choose_cover))
}

/// `multipart/form-data` with 1 to 10 parts named `files`, each a JPEG, PNG or WebP image of
/// at most 10 MiB. File names and declared types are ignored: the bytes decide.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "describes the multipart form for the OpenAPI document"
)]
struct UploadForm {
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

fn image_json(product: &Product) -> serde_json::Value {
    let images: Vec<serde_json::Value> = product
        .images
        .iter()
        .enumerate()
        .map(|(at, i)| {
            json!({
                "id": i.image_id,
                "url": media_url(&i.key),
                "content_type": i.content_type,
                "width": i.width,
                "height": i.height,
                "bytes": i.bytes,
                "cover": at == 0,
                "processing": i.thumbnails.is_empty(),
            })
        })
        .collect();
    json!({ "product_id": product.product_id, "images": images })
}

/// Where the query API serves a stored object.
fn media_url(key: &str) -> String {
    format!("/v1/media/{key}")
}

/// Reads the form: every part is a file (at most [`MAX_IMAGES_PER_UPLOAD`], each at most
/// [`MAX_IMAGE_BYTES`], refused as soon as it is exceeded).
pub(super) async fn read_files(mut form: Multipart) -> Result<Vec<Upload>, ApiError> {
    let mut files = Vec::new();
    let unreadable = |e: axum::extract::multipart::MultipartError| ApiError::Problem {
        status: e.status(),
        title: "Unreadable upload",
        detail: e.body_text(),
        extra: None,
    };
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = format!("files[{}]", files.len());
        if files.len() == MAX_IMAGES_PER_UPLOAD {
            return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
                "files",
                format!("at most {MAX_IMAGES_PER_UPLOAD} images per upload"),
            )]));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            if bytes.len() + chunk.len() > MAX_IMAGE_BYTES {
                return Err(crate::app::Rule::Image(ImageRefusal::TooLarge { file: name }).into());
            }
            bytes.extend_from_slice(&chunk);
        }
        files.push(Upload {
            name,
            bytes: bytes.into(),
        });
    }
    if files.is_empty() {
        return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
            "files",
            format!("must be 1 to {MAX_IMAGES_PER_UPLOAD} images"),
        )]));
    }
    Ok(files)
}

/// Upload product images
///
/// Adds 1 to 10 images (JPEG, PNG or WebP, at most 10 MiB each, 12 per product) to a product:
/// its seller or an admin. Each file is judged by its bytes, never by its name or declared
/// type, decoded whole within limits, and stored re-encoded without metadata (no EXIF GPS).
/// One bad file refuses the upload and nothing is stored. Thumbnails follow shortly
/// (`processing: true` until then).
#[utoipa::path(
    post, path = "/v1/products/{product_id}/images", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored and recorded, in the product's order; `added` names the new images", body = ImagesAnswer),
        (status = 400, description = "The form or a header is unreadable", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The product would have more than 12 images", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "A file over 10 MiB, or the request over the upload limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart/form-data, or a file that is not a JPEG, PNG or WebP image", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file or more than 10, a truncated, corrupt or oversized image (decompression bomb), or the Idempotency-Key used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store or the object store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn upload_images(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let form = form.map_err(|e| ApiError::Problem {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        title: "Unsupported media type",
        detail: format!("expected multipart/form-data with files: {}", e.body_text()),
        extra: None,
    })?;
    let files = read_files(form).await?;
    let hashes: Vec<String> = files
        .iter()
        .map(|f| hex::encode(Sha256::digest(&f.bytes)))
        .collect();
    let key = key.for_request(&(product_id, "images", &hashes))?;
    let added = images::add(&state, actor(&user), product_id, files, key.as_ref()).await?;
    let outcome = added.outcome;
    let mut body = image_json(&outcome.state);
    body["added"] = json!(added.image_ids);
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}

async fn changed(
    state: &AppState,
    user: &AuthUser,
    product_id: Uuid,
    change: ImageChange,
    key: Option<crate::app::idempotency::Idempotency>,
) -> Result<Response, ApiError> {
    let outcome = images::change(state, actor(user), product_id, change, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        image_json(&outcome.state),
        outcome.position,
    ))
}

/// Remove a product image
///
/// Its seller or an admin. The stored object stays (keys are content addresses another image
/// may share); the product no longer lists it.
#[utoipa::path(
    delete, path = "/v1/products/{product_id}/images/{image_id}", tag = "catalog",
    security(("bearer" = [])),
    params(
        ("product_id" = Uuid, Path, description = "The product"),
        ("image_id" = Uuid, Path, description = "The image"),
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 200, description = "Removed; the product's images", body = ImagesAnswer),
        (status = 400, description = "A malformed id or header", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product or image", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn remove_image(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path((product_id, image_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, image_id, "remove"))?;
    changed(
        &state,
        &user,
        product_id,
        ImageChange::Remove(image_id),
        key,
    )
    .await
}

/// `PUT /v1/products/{id}/images/order`: every image of the product, once, in the new order.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReorderRequest {
    /// Every image id of the product, each once; the first becomes the cover.
    image_ids: Vec<Uuid>,
}

/// Reorder product images
///
/// Its seller or an admin. `image_ids` names every image of the product once; the first is
/// the cover.
#[utoipa::path(
    put, path = "/v1/products/{product_id}/images/order", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = ReorderRequest,
    responses(
        (status = 200, description = "In the new order (unchanged: nothing recorded)", body = ImagesAnswer),
        (status = 400, description = "Unreadable JSON or a malformed id or header", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`image_ids` does not name every image exactly once, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reorder_images(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<ReorderRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    if req.image_ids.len() > MAX_IMAGES {
        return Err(ApiError::Validation(vec![pasar_domain::FieldError::new(
            "image_ids",
            "must name every image of the product exactly once",
        )]));
    }
    let key = key.for_request(&(product_id, &req))?;
    let change = ImageChange::Reorder(req.image_ids);
    changed(&state, &user, product_id, change, key).await
}

/// `PUT /v1/products/{id}/images/cover`: the image to show first.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CoverRequest {
    image_id: Uuid,
}

/// Choose the cover image
///
/// Its seller or an admin. The image moves to the front; listings and search show its
/// smallest thumbnail.
#[utoipa::path(
    put, path = "/v1/products/{product_id}/images/cover", tag = "catalog",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The product"), IdempotencyKeyHeader),
    request_body = CoverRequest,
    responses(
        (status = 200, description = "The cover first (already the cover: nothing recorded)", body = ImagesAnswer),
        (status = 400, description = "Unreadable JSON or a malformed id or header", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not this product's seller, nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown product or image", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn choose_cover(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(product_id): Path<Uuid>,
    Json(req): Json<CoverRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Seller, Role::Admin])?;
    let key = key.for_request(&(product_id, "cover", &req))?;
    let change = ImageChange::ChooseCover(req.image_id);
    changed(&state, &user, product_id, change, key).await
}
