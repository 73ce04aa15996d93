//! `categories`: `rm.categories` from the category tree's one stream. Replay-safe: every
//! write is guarded by the tree's stream version.

pub mod queries;

use async_trait::async_trait;
use pasar_events::RecordedEvent;
use pasar_events::types::CategoryEvent;
use pasar_events::types::streams::Category;

use super::{Projection, Write, decode, stmt};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "categories";

pub struct Categories;

#[async_trait]
impl Projection for Categories {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Categories]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["categories"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Categories) {
            return Ok(());
        }
        out.push(write(event.stream_version, decode::<CategoryEvent>(event)?));
        Ok(())
    }
}

/// The statement that records `event` (the category stream's `version`-th) on its row.
fn write(version: i64, event: CategoryEvent) -> Write {
    match event {
        CategoryEvent::CategoryCreated {
            category_id,
            parent_id,
            name,
            slug,
            created_at,
        } => stmt!(
            "INSERT INTO categories (id, parent_id, name, slug, created_at, updated_at, version)
                 VALUES ($1, $2, $3, $4, $5, $5, $6)
                 ON CONFLICT (id) DO NOTHING",
            category_id,
            parent_id,
            name,
            slug,
            created_at,
            version,
        ),
        CategoryEvent::CategoryRenamed {
            category_id,
            name,
            slug,
            renamed_at,
        } => stmt!(
            "UPDATE categories SET name = $2, slug = $3, updated_at = $4, version = $5
                 WHERE id = $1 AND version < $5",
            category_id,
            name,
            slug,
            renamed_at,
            version,
        ),
        CategoryEvent::CategoryMoved {
            category_id,
            parent_id,
            moved_at,
            ..
        } => stmt!(
            "UPDATE categories SET parent_id = $2, updated_at = $3, version = $4
                 WHERE id = $1 AND version < $4",
            category_id,
            parent_id,
            moved_at,
            version,
        ),
        CategoryEvent::CategoryRetired {
            category_id,
            retired_at,
        } => stmt!(
            "UPDATE categories SET retired = true, updated_at = $2, version = $3
                 WHERE id = $1 AND version < $3",
            category_id,
            retired_at,
            version,
        ),
    }
}
