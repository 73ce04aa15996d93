//! Makes the square thumbnail of every avatar set (`AvatarChanged` on `customer-{id}`): reads
//! the stored image, crops its centre to a square of [`AVATAR_SIZE`] px off the async threads,
//! writes it (content-addressed: writing again rewrites the same bytes) and records
//! `AvatarThumbnailMade` with an event id derived from the avatar's event.
//!
//! Once each: an avatar already thumbnailed, or replaced meanwhile, is skipped before any work
//! (a replay after a crash, a rebuild of the checkpoint), and the domain records one thumbnail
//! per avatar.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use deadpool_postgres::Transaction;
use pasar_domain::customer::{Customer, CustomerCommand, ProfileCommand};
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::Category;
use pasar_events::types::{CustomerEvent, ImageThumbnail};
use pasar_events::{DomainEvent, EventStore, RecordedEvent};
use uuid::Uuid;

use super::{caused_by, process_error};
use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::images::storage_down as media_down;
use crate::media::Media;
use crate::media::resize::{self, AVATAR_SIZE};
use pasar_service::media::object_store;

pub const NAME: &str = "avatar-thumbnails";

pub struct AvatarThumbnails {
    store: Arc<dyn EventStore>,
    media: Media,
}

impl AvatarThumbnails {
    pub fn new(store: Arc<dyn EventStore>, media: Media) -> Self {
        AvatarThumbnails { store, media }
    }

    /// Makes and records the thumbnail of `avatar_id` unless it has one or was replaced.
    async fn make(&self, event: &RecordedEvent, avatar_id: Uuid) -> Result<(), AppError> {
        let stream = event.stream.clone();
        let customer = load::<Customer>(self.store.as_ref(), &stream).await?.state;
        let Some(avatar) = customer.profile.avatar.filter(|a| a.avatar_id == avatar_id) else {
            return Ok(());
        };
        if avatar.thumbnail.is_some() {
            return Ok(());
        }
        let original = match self.media.get(&avatar.key).await {
            Ok(bytes) => bytes,
            Err(object_store::Error::NotFound { .. }) => {
                tracing::error!(key = %avatar.key, %avatar_id, "stored avatar missing; no thumbnail");
                return Ok(());
            }
            Err(e) => return Err(media_down(e)),
        };
        let made = tokio::task::spawn_blocking(move || resize::square(&original, AVATAR_SIZE))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("avatar thumbnail panicked: {e}")))?;
        let made = match made {
            Ok(made) => made,
            Err(reason) => {
                tracing::error!(key = %avatar.key, %reason, "stored avatar cannot be thumbnailed");
                return Ok(());
            }
        };
        self.media.put(&made.image).await.map_err(media_down)?;
        let thumbnail = ImageThumbnail {
            size: made.size,
            key: made.image.key.clone(),
            content_type: made.image.content_type.to_owned(),
            width: made.image.width,
            height: made.image.height,
        };
        let command = CustomerCommand::Profile(ProfileCommand::RecordAvatarThumbnail {
            avatar_id,
            thumbnail,
            now: Utc::now(),
        });
        let ids = EventIds::Derived(derive_id(&[
            "avatar-thumbnail",
            &event.event_id.to_string(),
        ]));
        execute::<Customer>(&self.store, &stream, &command, ids, &caused_by(event)).await?;
        tracing::info!(%stream, %avatar_id, "avatar thumbnail made");
        Ok(())
    }
}

#[async_trait]
impl Processor for AvatarThumbnails {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[Category::Customer]
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        _tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        for event in events {
            if event.event_type != "AvatarChanged" {
                continue;
            }
            let decoded =
                CustomerEvent::decode(event).map_err(|e| ProcessError::Fatal(e.into()))?;
            if let CustomerEvent::AvatarChanged { avatar_id, .. } = decoded {
                self.make(event, avatar_id).await.map_err(process_error)?;
            }
        }
        Ok(())
    }
}
