use pasar_domain::category::{
    CategoryCommand, CategoryError, CategoryTree, MAX_DEPTH, parse_name, slug,
};
use pasar_events::types::CategoryEvent;
use uuid::Uuid;

use crate::support::{at, given, id};

fn created(category: Uuid, parent: Option<Uuid>, name: &str) -> CategoryEvent {
    CategoryEvent::CategoryCreated {
        category_id: category,
        parent_id: parent,
        name: name.into(),
        slug: slug(name),
        created_at: at(0),
    }
}

fn create(category: Uuid, parent: Option<Uuid>, name: &str) -> CategoryCommand {
    CategoryCommand::Create {
        category_id: category,
        parent_id: parent,
        name: parse_name(name).unwrap(),
        now: at(0),
    }
}

fn relocate(category: Uuid, parent: Option<Uuid>) -> CategoryCommand {
    CategoryCommand::Move {
        category_id: category,
        parent_id: parent,
        now: at(1),
    }
}

/// Makanan (1) > Kopi (2) > Kopi Bubuk (3); Fashion (4).
fn shop() -> Vec<CategoryEvent> {
    vec![
        created(id(1), None, "Makanan & Minuman"),
        created(id(2), Some(id(1)), "Kopi"),
        created(id(3), Some(id(2)), "Kopi Bubuk"),
        created(id(4), None, "Fashion"),
    ]
}

#[test]
fn slugs_fold_case_accents_and_punctuation() {
    assert_eq!(slug("Makanan & Minuman"), "makanan-minuman");
    assert_eq!(slug("  Kue Basah Ñam  "), "kue-basah-nam");
    assert_eq!(slug("HP / Tablet 5G"), "hp-tablet-5g");
    assert_eq!(slug("!!!"), "");
}

#[test]
fn a_category_is_created_at_the_root_or_under_an_active_parent() {
    given::<CategoryTree>(shop())
        .when(create(id(5), Some(id(2)), "Kopi Biji"))
        .then([created(id(5), Some(id(2)), "Kopi Biji")]);
    given::<CategoryTree>(shop())
        .when(create(id(5), Some(id(99)), "Teh"))
        .then_rejected(CategoryError::ParentNotFound);
    let mut retired = shop();
    retired.push(CategoryEvent::CategoryRetired {
        category_id: id(4),
        retired_at: at(1),
    });
    given::<CategoryTree>(retired)
        .when(create(id(5), Some(id(4)), "Batik"))
        .then_rejected(CategoryError::ParentRetired);
}

#[test]
fn a_retried_create_is_answered_by_the_category_it_made() {
    given::<CategoryTree>(shop())
        .when(create(id(2), Some(id(1)), "Kopi"))
        .then_nothing();
    given::<CategoryTree>(shop())
        .when(create(id(2), None, "Teh"))
        .then_rejected(CategoryError::IdTaken);
}

#[test]
fn slugs_are_unique_among_active_siblings_only() {
    given::<CategoryTree>(shop())
        .when(create(id(5), Some(id(1)), "KOPI "))
        .then_rejected(CategoryError::SlugTaken {
            slug: "kopi".into(),
        });
    // Another parent may have its own "Kopi".
    given::<CategoryTree>(shop())
        .when(create(id(5), Some(id(4)), "Kopi"))
        .then([created(id(5), Some(id(4)), "Kopi")]);
    // A retired sibling frees its slug.
    let mut history = shop();
    history.push(CategoryEvent::CategoryRetired {
        category_id: id(3),
        retired_at: at(1),
    });
    given::<CategoryTree>(history)
        .when(create(id(5), Some(id(2)), "Kopi Bubuk"))
        .then([created(id(5), Some(id(2)), "Kopi Bubuk")]);
    given::<CategoryTree>(shop())
        .when(create(id(5), None, "???"))
        .then_rejected(CategoryError::NameWithoutSlug);
}

#[test]
fn a_move_never_makes_a_cycle() {
    given::<CategoryTree>(shop())
        .when(relocate(id(1), Some(id(3))))
        .then_rejected(CategoryError::Cycle);
    given::<CategoryTree>(shop())
        .when(relocate(id(2), Some(id(2))))
        .then_rejected(CategoryError::Cycle);
    let tree = given::<CategoryTree>(shop())
        .when(relocate(id(2), Some(id(4))))
        .then([CategoryEvent::CategoryMoved {
            category_id: id(2),
            parent_id: Some(id(4)),
            previous_parent_id: Some(id(1)),
            moved_at: at(1),
        }]);
    assert_eq!(tree.get(id(3)).unwrap().parent_id, Some(id(2)));
    given::<CategoryTree>(shop())
        .when(relocate(id(3), None))
        .then([CategoryEvent::CategoryMoved {
            category_id: id(3),
            parent_id: None,
            previous_parent_id: Some(id(2)),
            moved_at: at(1),
        }]);
    given::<CategoryTree>(shop())
        .when(relocate(id(2), Some(id(1))))
        .then_nothing();
}

#[test]
fn the_tree_has_a_depth_limit_for_creates_and_moves() {
    let mut history = Vec::new();
    let mut parent = None;
    for level in 1..=MAX_DEPTH as u128 {
        history.push(created(id(100 + level), parent, &format!("Level {level}")));
        parent = Some(id(100 + level));
    }
    given::<CategoryTree>(history.clone())
        .when(create(id(5), parent, "Too deep"))
        .then_rejected(CategoryError::TooDeep { max: MAX_DEPTH });
    // Moving a two-level branch under the fifth level would make it seven deep.
    history.push(created(id(6), None, "Branch"));
    history.push(created(id(7), Some(id(6)), "Leaf"));
    given::<CategoryTree>(history)
        .when(relocate(id(6), Some(id(105))))
        .then_rejected(CategoryError::TooDeep { max: MAX_DEPTH });
}

#[test]
fn retiring_needs_no_active_subcategories_and_stops_renames() {
    given::<CategoryTree>(shop())
        .when(CategoryCommand::Retire {
            category_id: id(2),
            now: at(1),
        })
        .then_rejected(CategoryError::HasActiveChildren);
    let tree = given::<CategoryTree>(shop())
        .when(CategoryCommand::Retire {
            category_id: id(3),
            now: at(1),
        })
        .then([CategoryEvent::CategoryRetired {
            category_id: id(3),
            retired_at: at(1),
        }]);
    assert!(!tree.is_active(id(3)));
    assert!(tree.is_active(id(2)));
    let mut history = shop();
    history.push(CategoryEvent::CategoryRetired {
        category_id: id(3),
        retired_at: at(1),
    });
    given::<CategoryTree>(history.clone())
        .when(CategoryCommand::Rename {
            category_id: id(3),
            name: parse_name("Kopi Giling").unwrap(),
            now: at(2),
        })
        .then_rejected(CategoryError::Retired);
    given::<CategoryTree>(history)
        .when(CategoryCommand::Retire {
            category_id: id(3),
            now: at(2),
        })
        .then_nothing();
}

#[test]
fn a_rename_changes_the_slug_and_keeps_it_unique() {
    given::<CategoryTree>(shop())
        .when(CategoryCommand::Rename {
            category_id: id(4),
            name: parse_name("Fashion Pria").unwrap(),
            now: at(1),
        })
        .then([CategoryEvent::CategoryRenamed {
            category_id: id(4),
            name: "Fashion Pria".into(),
            slug: "fashion-pria".into(),
            renamed_at: at(1),
        }]);
    given::<CategoryTree>(shop())
        .when(CategoryCommand::Rename {
            category_id: id(4),
            name: parse_name("makanan minuman").unwrap(),
            now: at(1),
        })
        .then_rejected(CategoryError::SlugTaken {
            slug: "makanan-minuman".into(),
        });
    given::<CategoryTree>(shop())
        .when(CategoryCommand::Rename {
            category_id: id(99),
            name: parse_name("X").unwrap(),
            now: at(1),
        })
        .then_rejected(CategoryError::NotFound);
}

#[test]
fn the_tree_snapshot_round_trips() {
    use pasar_domain::Aggregate;
    let tree: CategoryTree = pasar_domain::replay(shop());
    let back = CategoryTree::from_snapshot(&tree.to_snapshot().unwrap()).unwrap();
    assert_eq!(back, tree);
}
