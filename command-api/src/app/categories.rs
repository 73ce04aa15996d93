//! The category tree, managed by admins, and the check that a product's category is usable.

use chrono::{DateTime, Utc};
use pasar_domain::category::{CategoryCommand, CategoryName, CategoryTree};
use pasar_events::Metadata;
use pasar_events::types::Role;
use pasar_events::types::streams::CATEGORY_TREE;
use uuid::Uuid;

use super::exec::{EventIds, Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule};

/// A change to the tree.
#[derive(Debug, Clone)]
pub enum CategoryChange {
    Create {
        parent_id: Option<Uuid>,
        name: CategoryName,
    },
    /// Rename and/or move (`Some(None)`: to the root).
    Edit {
        category_id: Uuid,
        name: Option<CategoryName>,
        parent_id: Option<Option<Uuid>>,
    },
    Retire {
        category_id: Uuid,
    },
}

impl CategoryChange {
    fn action(&self) -> &'static str {
        match self {
            CategoryChange::Create { .. } => "category-create",
            CategoryChange::Edit { .. } => "category-edit",
            CategoryChange::Retire { .. } => "category-retire",
        }
    }
}

/// Applies an admin's change to the tree; answers the category's id with the outcome. With an
/// idempotency key a created category's id comes from the key, so a retry finds its own.
pub async fn change(
    state: &AppState,
    actor: Actor,
    change: CategoryChange,
    key: Option<&Idempotency>,
) -> Result<(Uuid, Outcome<CategoryTree>), AppError> {
    if actor.role != Role::Admin {
        return Err(Rule::AdminOnly.into());
    }
    let ids = idempotency::event_ids(state, change.action(), actor.id, key).await?;
    let now = Utc::now();
    let metadata = actor.metadata();
    let run = |command: CategoryCommand| {
        let (store, metadata) = (state.store.clone(), metadata.clone());
        async move { execute::<CategoryTree>(&store, CATEGORY_TREE, &command, ids, &metadata).await }
    };
    match change {
        CategoryChange::Create { parent_id, name } => {
            let category_id = match ids {
                EventIds::Derived(seed) => Uuid::new_v5(&seed, b"category"),
                EventIds::Random => Uuid::now_v7(),
            };
            let command = CategoryCommand::Create {
                category_id,
                parent_id,
                name,
                now,
            };
            Ok((category_id, run(command).await?))
        }
        CategoryChange::Edit {
            category_id,
            name,
            parent_id,
        } => {
            let outcome = edit(state, category_id, name, parent_id, ids, &metadata, now).await?;
            Ok((category_id, outcome))
        }
        CategoryChange::Retire { category_id } => {
            let command = CategoryCommand::Retire { category_id, now };
            Ok((category_id, run(command).await?))
        }
    }
}

/// Renames and/or moves a category. A rename and a move are two decisions; each is its own
/// event, in that order (the move's event ids derived apart from the rename's). Refused when
/// it changes neither.
async fn edit(
    state: &AppState,
    category_id: Uuid,
    name: Option<CategoryName>,
    parent_id: Option<Option<Uuid>>,
    ids: EventIds,
    metadata: &Metadata,
    now: DateTime<Utc>,
) -> Result<Outcome<CategoryTree>, AppError> {
    let move_ids = match ids {
        EventIds::Derived(seed) => EventIds::Derived(Uuid::new_v5(&seed, b"move")),
        EventIds::Random => EventIds::Random,
    };
    let rename = name.map(|name| CategoryCommand::Rename {
        category_id,
        name,
        now,
    });
    let move_to = parent_id.map(|parent_id| CategoryCommand::Move {
        category_id,
        parent_id,
        now,
    });
    let mut outcome = None;
    for (command, ids) in [(rename, ids), (move_to, move_ids)] {
        if let Some(command) = command {
            let store = &state.store;
            outcome =
                Some(execute::<CategoryTree>(store, CATEGORY_TREE, &command, ids, metadata).await?);
        }
    }
    outcome.ok_or_else(|| {
        Rule::Invalid(vec![pasar_domain::FieldError::new(
            "name",
            "give a new name, a new parent_id, or both",
        )])
        .into()
    })
}

/// Refuses a category a product may not be put in: unknown or retired.
pub async fn usable_category(state: &AppState, category_id: Uuid) -> Result<(), AppError> {
    let tree = load::<CategoryTree>(state.store.as_ref(), CATEGORY_TREE)
        .await?
        .state;
    if tree.is_active(category_id) {
        Ok(())
    } else {
        Err(Rule::CategoryNotUsable.into())
    }
}
