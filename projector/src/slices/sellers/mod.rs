//! `sellers`: `rm.sellers` from customer streams: every account's role (kept current through
//! `RoleChanged`) and, for sellers, the store profile (`StoreProfileSet`). Only sellers (and
//! admins with a store) are ever served. Nothing else of the customer stream (names, emails,
//! password hashes, sessions) is read into it. Replay-safe.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::CustomerEvent;
use pasar_events::types::streams::Category;

use super::{Projection, Write, decode, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "sellers";

pub struct Sellers;

#[async_trait]
impl Projection for Sellers {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Customer]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["sellers"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Customer) {
            return Ok(());
        }
        let customer: CustomerEvent = decode(event)?;
        let id = stream_uuid(event)?;
        let version = event.stream_version;
        match customer {
            CustomerEvent::CustomerRegistered { role, .. }
            | CustomerEvent::RoleChanged { role } => {
                out.push(stmt!(
                    "INSERT INTO sellers (seller_id, role, stream_version) VALUES ($1, $2, $3)
                     ON CONFLICT (seller_id) DO UPDATE SET role = EXCLUDED.role,
                         stream_version = EXCLUDED.stream_version
                     WHERE sellers.stream_version < EXCLUDED.stream_version",
                    id,
                    role.as_str().to_owned(),
                    version,
                ));
            }
            CustomerEvent::StoreProfileSet {
                store_name,
                description,
                origin_id,
                origin_label,
                set_at,
            } => {
                // Only a seller or an admin can set one, so the row exists; the upsert keeps a
                // replay from an odd log safe all the same.
                out.push(stmt!(
                    "INSERT INTO sellers (seller_id, role, store_name, description, origin_id,
                         origin_label, profile_set_at, stream_version)
                     VALUES ($1, 'seller', $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (seller_id) DO UPDATE SET store_name = EXCLUDED.store_name,
                         description = EXCLUDED.description, origin_id = EXCLUDED.origin_id,
                         origin_label = EXCLUDED.origin_label,
                         profile_set_at = EXCLUDED.profile_set_at,
                         stream_version = EXCLUDED.stream_version
                     WHERE sellers.stream_version < EXCLUDED.stream_version",
                    id,
                    store_name,
                    description,
                    i64::from(origin_id),
                    origin_label,
                    set_at,
                    version,
                ));
            }
            _ => {}
        }
        Ok(())
    }
}
