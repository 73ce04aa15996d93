//! A product's images: upload (checked by content, re-encoded, stored, then recorded),
//! removal, order, cover. The bytes are written to the object store **before** the event is
//! appended, so a crash between the two leaves an unreferenced object, never an event naming
//! an object that is not there.

use chrono::Utc;
use pasar_domain::product::{
    ImageCommand, MAX_IMAGES, MAX_IMAGES_PER_UPLOAD, Product, ProductCommand, ProductError,
    StoredImage,
};
use pasar_events::types::streams;
use uuid::Uuid;

use super::catalog::managed_product;
use super::exec::{EventIds, Outcome, execute};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Dependency, Rule};
use crate::media::Encoded;
use crate::media::inspect::{self, ImageRefusal};

/// One uploaded file: how the request named it (`files[0]`) and its bytes.
pub struct Upload {
    pub name: String,
    pub bytes: bytes::Bytes,
}

/// What an upload recorded: the product after it, and the ids of the images it added (the
/// same ids again for a retry with its idempotency key).
pub struct Added {
    pub outcome: Outcome<Product>,
    pub image_ids: Vec<Uuid>,
}

/// Adds `files` to a product the actor manages: all are checked and re-encoded first (one bad
/// file refuses the whole upload and nothing is stored), then stored, then recorded.
pub async fn add(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    files: Vec<Upload>,
    key: Option<&Idempotency>,
) -> Result<Added, AppError> {
    let product = managed_product(state, actor, product_id).await?;
    if files.is_empty() || files.len() > MAX_IMAGES_PER_UPLOAD {
        return Err(ProductError::Invalid(vec![pasar_domain::FieldError::new(
            "files",
            format!("must be 1 to {MAX_IMAGES_PER_UPLOAD} images"),
        )])
        .into());
    }
    let ids = idempotency::event_ids(state, "product-images-add", actor.id, key).await?;
    let image_ids: Vec<Uuid> = (0..files.len())
        .map(|i| match ids {
            EventIds::Derived(seed) => Uuid::new_v5(&seed, format!("image-{i}").as_bytes()),
            EventIds::Random => Uuid::now_v7(),
        })
        .collect();
    room_for(&product, &image_ids)?;
    let images = store_all(state, product_id, files, &image_ids).await?;
    let command = ProductCommand::Image(ImageCommand::Add {
        images,
        now: Utc::now(),
    });
    let stream = streams::product(product_id);
    let outcome =
        execute::<Product>(&state.store, &stream, &command, ids, &actor.metadata()).await?;
    Ok(Added { outcome, image_ids })
}

/// Refuses before any work when the product is already full (a retry's own images are
/// already there and do not count twice).
fn room_for(product: &Product, image_ids: &[Uuid]) -> Result<(), AppError> {
    let new = image_ids
        .iter()
        .filter(|id| product.image(**id).is_none())
        .count();
    if new > 0 && product.images.len() + new > MAX_IMAGES {
        return Err(ProductError::TooManyImages {
            max: MAX_IMAGES,
            has: product.images.len(),
        }
        .into());
    }
    Ok(())
}

/// Checks, re-encodes and stores every file (nothing stored unless all pass); what the event
/// records of each, under `image_ids` in order.
async fn store_all(
    state: &AppState,
    product_id: Uuid,
    files: Vec<Upload>,
    image_ids: &[Uuid],
) -> Result<Vec<StoredImage>, AppError> {
    let prepared = prepare_all(files).await?;
    for image in &prepared {
        state.media.put(image).await.map_err(storage_down)?;
    }
    tracing::info!(product = %product_id, images = prepared.len(), "product images stored");
    let images = prepared
        .into_iter()
        .zip(image_ids.iter().copied())
        .map(|(image, image_id)| StoredImage {
            image_id,
            bytes: image.bytes.len() as u64,
            key: image.key,
            content_type: image.content_type.to_owned(),
            width: image.width,
            height: image.height,
        })
        .collect();
    Ok(images)
}

/// Checks and re-encodes every file off the async threads; the first refusal refuses all.
pub(super) async fn prepare_all(files: Vec<Upload>) -> Result<Vec<Encoded>, AppError> {
    let prepared = tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|f| inspect::prepare(&f.name, &f.bytes))
            .collect::<Result<Vec<_>, ImageRefusal>>()
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("image check panicked: {e}")))?;
    prepared.map_err(|refusal| {
        tracing::info!(%refusal, "upload refused");
        AppError::Rejected(Rule::Image(refusal))
    })
}

pub(crate) fn storage_down(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::MediaStore,
        detail: e.to_string(),
    }
}

/// A change to a product's images other than adding.
#[derive(Debug, Clone)]
pub enum ImageChange {
    Remove(Uuid),
    Reorder(Vec<Uuid>),
    ChooseCover(Uuid),
}

/// Removes, reorders or chooses the cover among a managed product's images. A removed
/// image's objects stay in the store (other products may share them: keys are content
/// addresses).
pub async fn change(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    change: ImageChange,
    key: Option<&Idempotency>,
) -> Result<Outcome<Product>, AppError> {
    managed_product(state, actor, product_id).await?;
    let now = Utc::now();
    let (action, command) = match change {
        ImageChange::Remove(image_id) => (
            "product-image-remove",
            ImageCommand::Remove { image_id, now },
        ),
        ImageChange::Reorder(image_ids) => (
            "product-images-reorder",
            ImageCommand::Reorder { image_ids, now },
        ),
        ImageChange::ChooseCover(image_id) => (
            "product-cover-choose",
            ImageCommand::ChooseCover { image_id, now },
        ),
    };
    let ids = idempotency::event_ids(state, action, actor.id, key).await?;
    let stream = streams::product(product_id);
    let command = ProductCommand::Image(command);
    execute::<Product>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
