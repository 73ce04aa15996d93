//! Events of the category tree (`categories-tree`): one stream for the whole tree, because its
//! rules (no cycles, slugs unique among siblings) span categories.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::DomainEvent;

/// Events of `categories-tree`. Each names the category it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CategoryEvent {
    /// A category was created, at the root (`parent_id: null`) or under an active parent.
    CategoryCreated {
        category_id: Uuid,
        parent_id: Option<Uuid>,
        name: String,
        /// Unique among its active siblings; derived from the name.
        slug: String,
        created_at: DateTime<Utc>,
    },
    CategoryRenamed {
        category_id: Uuid,
        name: String,
        slug: String,
        renamed_at: DateTime<Utc>,
    },
    /// Moved under another parent (`null`: to the root), never under itself or a descendant.
    CategoryMoved {
        category_id: Uuid,
        parent_id: Option<Uuid>,
        previous_parent_id: Option<Uuid>,
        moved_at: DateTime<Utc>,
    },
    /// No longer offered for new listings; its products stay readable.
    CategoryRetired {
        category_id: Uuid,
        retired_at: DateTime<Utc>,
    },
}

impl DomainEvent for CategoryEvent {}
