//! The category tree (`categories-tree`), managed by admins.
//!
//! The whole tree is one aggregate because its rules span categories: a move must not make a
//! cycle, and a slug must be unique among its active siblings. Categories are few and change
//! rarely, so one stream (snapshotted) costs nothing and makes both rules plain checks on
//! state, safe under concurrent admins.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use pasar_events::types::CategoryEvent;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use crate::Aggregate;
use crate::values::{Text, ValueError};

/// Most categories the tree holds (active or retired).
pub const MAX_CATEGORIES: usize = 5_000;
/// Deepest level a category may sit at (a root category is at depth 1).
pub const MAX_DEPTH: usize = 6;
/// Category names: 1 to 100 characters.
pub type CategoryName = Text<1, 100>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub slug: String,
    pub retired: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryTree {
    pub nodes: BTreeMap<Uuid, Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CategoryCommand {
    Create {
        category_id: Uuid,
        parent_id: Option<Uuid>,
        name: CategoryName,
        now: DateTime<Utc>,
    },
    Rename {
        category_id: Uuid,
        name: CategoryName,
        now: DateTime<Utc>,
    },
    Move {
        category_id: Uuid,
        parent_id: Option<Uuid>,
        now: DateTime<Utc>,
    },
    Retire {
        category_id: Uuid,
        now: DateTime<Utc>,
    },
}

/// Why a category command was refused, one variant per rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CategoryError {
    #[error("no such category")]
    NotFound,
    #[error("the parent category does not exist")]
    ParentNotFound,
    #[error("the parent category is retired")]
    ParentRetired,
    #[error("the category is retired")]
    Retired,
    #[error("an active sibling already has the slug {slug:?}")]
    SlugTaken { slug: String },
    #[error("the name must contain a letter or a digit")]
    NameWithoutSlug,
    #[error("a category cannot be moved under itself or one of its subcategories")]
    Cycle,
    #[error("the tree may be at most {max} levels deep")]
    TooDeep { max: usize },
    #[error("the tree may hold at most {max} categories")]
    TooMany { max: usize },
    #[error("the category has active subcategories; retire or move them first")]
    HasActiveChildren,
    #[error("a category with this id exists with other details")]
    IdTaken,
}

/// The URL-safe form of a name: accents folded, lower case, words joined by `-`
/// ("Makanan & Minuman" → "makanan-minuman", "Kue Basah Ñam" → "kue-basah-nam").
pub fn slug(name: &str) -> String {
    let folded: String = name
        .nfkd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect();
    let mut slug = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

impl CategoryTree {
    pub fn get(&self, id: Uuid) -> Option<&Node> {
        self.nodes.get(&id)
    }

    /// Whether new listings may use this category.
    pub fn is_active(&self, id: Uuid) -> bool {
        self.nodes.get(&id).is_some_and(|n| !n.retired)
    }

    /// The category and its ancestors, nearest first (stops at a missing link).
    fn lineage(&self, id: Uuid) -> Vec<Uuid> {
        let mut chain = vec![id];
        let mut at = self.nodes.get(&id).and_then(|n| n.parent_id);
        while let Some(parent) = at {
            if chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            at = self.nodes.get(&parent).and_then(|n| n.parent_id);
        }
        chain
    }

    /// Levels below (and including) `id`: 1 for a leaf.
    fn height(&self, id: Uuid) -> usize {
        1 + self
            .nodes
            .iter()
            .filter(|(_, n)| n.parent_id == Some(id))
            .map(|(child, _)| self.height(*child))
            .max()
            .unwrap_or(0)
    }

    fn check_parent(&self, parent_id: Option<Uuid>) -> Result<usize, CategoryError> {
        let Some(parent) = parent_id else {
            return Ok(0);
        };
        let node = self
            .nodes
            .get(&parent)
            .ok_or(CategoryError::ParentNotFound)?;
        if node.retired {
            return Err(CategoryError::ParentRetired);
        }
        Ok(self.lineage(parent).len())
    }

    fn check_slug(
        &self,
        parent_id: Option<Uuid>,
        slug: &str,
        except: Uuid,
    ) -> Result<(), CategoryError> {
        if slug.is_empty() {
            return Err(CategoryError::NameWithoutSlug);
        }
        let taken = self.nodes.iter().any(|(id, n)| {
            *id != except && !n.retired && n.parent_id == parent_id && n.slug == slug
        });
        if taken {
            return Err(CategoryError::SlugTaken {
                slug: slug.to_owned(),
            });
        }
        Ok(())
    }

    fn active(&self, id: Uuid) -> Result<&Node, CategoryError> {
        let node = self.nodes.get(&id).ok_or(CategoryError::NotFound)?;
        if node.retired {
            return Err(CategoryError::Retired);
        }
        Ok(node)
    }

    fn create(
        &self,
        id: Uuid,
        parent_id: Option<Uuid>,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<CategoryEvent>, CategoryError> {
        let slug = slug(name);
        if let Some(existing) = self.nodes.get(&id) {
            // A retried create is answered by the category it made.
            return if existing.parent_id == parent_id && existing.name == name {
                Ok(Vec::new())
            } else {
                Err(CategoryError::IdTaken)
            };
        }
        if self.nodes.len() >= MAX_CATEGORIES {
            return Err(CategoryError::TooMany {
                max: MAX_CATEGORIES,
            });
        }
        if self.check_parent(parent_id)? + 1 > MAX_DEPTH {
            return Err(CategoryError::TooDeep { max: MAX_DEPTH });
        }
        self.check_slug(parent_id, &slug, id)?;
        Ok(vec![CategoryEvent::CategoryCreated {
            category_id: id,
            parent_id,
            name: name.to_owned(),
            slug,
            created_at: now,
        }])
    }

    fn rename(
        &self,
        id: Uuid,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<CategoryEvent>, CategoryError> {
        let node = self.active(id)?;
        if node.name == name {
            return Ok(Vec::new());
        }
        let slug = slug(name);
        self.check_slug(node.parent_id, &slug, id)?;
        Ok(vec![CategoryEvent::CategoryRenamed {
            category_id: id,
            name: name.to_owned(),
            slug,
            renamed_at: now,
        }])
    }

    fn relocate(
        &self,
        id: Uuid,
        parent_id: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<Vec<CategoryEvent>, CategoryError> {
        let node = self.active(id)?;
        if node.parent_id == parent_id {
            return Ok(Vec::new());
        }
        if let Some(parent) = parent_id
            && self.lineage(parent).contains(&id)
        {
            return Err(CategoryError::Cycle);
        }
        if self.check_parent(parent_id)? + self.height(id) > MAX_DEPTH {
            return Err(CategoryError::TooDeep { max: MAX_DEPTH });
        }
        self.check_slug(parent_id, &node.slug, id)?;
        Ok(vec![CategoryEvent::CategoryMoved {
            category_id: id,
            parent_id,
            previous_parent_id: node.parent_id,
            moved_at: now,
        }])
    }

    fn retire(&self, id: Uuid, now: DateTime<Utc>) -> Result<Vec<CategoryEvent>, CategoryError> {
        let node = self.nodes.get(&id).ok_or(CategoryError::NotFound)?;
        if node.retired {
            return Ok(Vec::new());
        }
        if self
            .nodes
            .values()
            .any(|n| n.parent_id == Some(id) && !n.retired)
        {
            return Err(CategoryError::HasActiveChildren);
        }
        Ok(vec![CategoryEvent::CategoryRetired {
            category_id: id,
            retired_at: now,
        }])
    }
}

impl Aggregate for CategoryTree {
    type Event = CategoryEvent;
    type Command = CategoryCommand;
    type Error = CategoryError;

    const SNAPSHOT_VERSION: Option<i32> = Some(1);

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(value: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }

    fn decide(&self, command: &CategoryCommand) -> Result<Vec<CategoryEvent>, CategoryError> {
        match command {
            CategoryCommand::Create {
                category_id,
                parent_id,
                name,
                now,
            } => self.create(*category_id, *parent_id, name.as_str(), *now),
            CategoryCommand::Rename {
                category_id,
                name,
                now,
            } => self.rename(*category_id, name.as_str(), *now),
            CategoryCommand::Move {
                category_id,
                parent_id,
                now,
            } => self.relocate(*category_id, *parent_id, *now),
            CategoryCommand::Retire { category_id, now } => self.retire(*category_id, *now),
        }
    }

    fn evolve(mut self, event: &CategoryEvent) -> Self {
        match event {
            CategoryEvent::CategoryCreated {
                category_id,
                parent_id,
                name,
                slug,
                ..
            } => {
                self.nodes.insert(
                    *category_id,
                    Node {
                        parent_id: *parent_id,
                        name: name.clone(),
                        slug: slug.clone(),
                        retired: false,
                    },
                );
            }
            CategoryEvent::CategoryRenamed {
                category_id,
                name,
                slug,
                ..
            } => {
                if let Some(node) = self.nodes.get_mut(category_id) {
                    node.name = name.clone();
                    node.slug = slug.clone();
                }
            }
            CategoryEvent::CategoryMoved {
                category_id,
                parent_id,
                ..
            } => {
                if let Some(node) = self.nodes.get_mut(category_id) {
                    node.parent_id = *parent_id;
                }
            }
            CategoryEvent::CategoryRetired { category_id, .. } => {
                if let Some(node) = self.nodes.get_mut(category_id) {
                    node.retired = true;
                }
            }
        }
        self
    }
}

/// Parses a category name for a command.
pub fn parse_name(raw: &str) -> Result<CategoryName, ValueError> {
    CategoryName::parse(raw)
}
