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
use pasar_domain::customer::{Customer, CustomerCommand, ProfileCommand};
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::CustomerEvent;
use pasar_events::types::streams::Category;
use pasar_events::{DomainEvent, EventStore, RecordedEvent};
use uuid::Uuid;

use super::thumbnails::from_original;
use super::{caused_by, process_error};
use crate::app::AppError;
use crate::app::exec::{EventIds, derive_id, execute, load};
use crate::app::images::storage_down;
use crate::media::Media;
use crate::media::resize::{self, AVATAR_SIZE};

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
        let square = |original: &[u8]| resize::square(original, AVATAR_SIZE);
        let Some(made) = from_original(&self.media, &avatar.key, square).await? else {
            return Ok(());
        };
        self.media.put(&made.image).await.map_err(storage_down)?;
        let thumbnail = made.recorded();
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

    fn transactional(&self) -> bool {
        false
    }

    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
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
