//! Makes the thumbnails of every product image added (`ProductImageAdded`): reads the stored
//! image, makes [`SIZES`](crate::media::resize::SIZES) off the async threads, writes them
//! (content-addressed keys: writing again rewrites the same bytes) and records them on the
//! product (`ProductImageThumbnailsMade`, with event ids derived from the image-added event).
//!
//! Once each: an image that already has its thumbnails (a replay after a crash between the
//! append and the checkpoint, a rebuild of the runtime's checkpoint) or was removed meanwhile
//! is skipped before any work, and the domain records thumbnails once per image.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use pasar_domain::product::{ImageCommand, Product, ProductCommand};
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::ProductEvent;
use pasar_events::types::streams::{self, Category};
use pasar_events::{DomainEvent, EventStore, RecordedEvent};
use uuid::Uuid;

use super::{caused_by, process_error};
use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::images::storage_down;
use crate::media::Media;
use crate::media::resize::{self, Made};
use pasar_service::media::object_store;

pub const NAME: &str = "thumbnails";

pub struct Thumbnails {
    store: Arc<dyn EventStore>,
    media: Media,
}

impl Thumbnails {
    pub fn new(store: Arc<dyn EventStore>, media: Media) -> Self {
        Thumbnails { store, media }
    }

    /// Makes and records the thumbnails of `image_id` unless it has them or is gone.
    async fn make(&self, event: &RecordedEvent, image_id: Uuid) -> Result<(), AppError> {
        let stream = event.stream.clone();
        let product = load::<Product>(self.store.as_ref(), &stream).await?.state;
        let Some(image) = product.image(image_id) else {
            tracing::debug!(%stream, %image_id, "image removed before its thumbnails; skipped");
            return Ok(());
        };
        if !image.thumbnails.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let Some(made) = from_original(&self.media, &image.key, resize::thumbnails).await? else {
            return Ok(());
        };
        for thumbnail in &made {
            self.media
                .put(&thumbnail.image)
                .await
                .map_err(storage_down)?;
        }
        let command = ProductCommand::Image(ImageCommand::RecordThumbnails {
            image_id,
            thumbnails: made.iter().map(Made::recorded).collect(),
            now: Utc::now(),
        });
        let ids = EventIds::Derived(derive_id(&["thumbnails", &event.event_id.to_string()]));
        execute::<Product>(&self.store, &stream, &command, ids, &caused_by(event)).await?;
        metrics::counter!("pasar_thumbnails_made_total").increment(made.len() as u64);
        tracing::info!(%stream, %image_id, took_ms = started.elapsed().as_millis(), "thumbnails made");
        Ok(())
    }
}

/// Reads the stored original at `key` and makes what `resize` makes of it, off the async
/// threads. `None` when there is nothing to record, logged for a human: the original is
/// missing (written before its event, so someone deleted it from the store) or cannot be
/// resized (it passed the same checks at upload): a broken invariant, not a reason to stop
/// every other image's thumbnails. Shared with [`avatars`](super::avatars).
pub(super) async fn from_original<T, F>(
    media: &Media,
    key: &str,
    resize: F,
) -> Result<Option<T>, AppError>
where
    T: Send + 'static,
    F: FnOnce(&[u8]) -> Result<T, String> + Send + 'static,
{
    let original = match media.get(key).await {
        Ok(bytes) => bytes,
        Err(object_store::Error::NotFound { .. }) => {
            tracing::error!(%key, "stored image missing; no thumbnails");
            return Ok(None);
        }
        Err(e) => {
            tracing::warn!(%key, error = %e, "cannot read a stored image; will retry");
            return Err(storage_down(e));
        }
    };
    let made = tokio::task::spawn_blocking(move || resize(&original))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("thumbnails panicked: {e}")))?;
    match made {
        Ok(made) => Ok(Some(made)),
        Err(reason) => {
            tracing::error!(%key, %reason, "stored image cannot be thumbnailed");
            Ok(None)
        }
    }
}

#[async_trait]
impl Processor for Thumbnails {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Product]
    }

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        for event in events {
            if event.event_type != "ProductImageAdded" || streams::id_of(&event.stream).is_none() {
                continue;
            }
            let decoded = ProductEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))?;
            if let ProductEvent::ProductImageAdded { image_id, .. } = decoded {
                self.make(event, image_id).await.map_err(process_error)?;
            }
        }
        Ok(())
    }
}
