use pasar_domain::FieldError;
use pasar_domain::product::{Product, ProductCommand, ProductError, normalize_sku};
use pasar_events::types::{Money, ProductCondition, ProductEvent, Role};

use crate::support::{at, given, id};

struct Draft {
    sku: String,
    name: String,
    description: String,
    price: i64,
    brand: Option<String>,
    weight_grams: i32,
}

fn draft() -> Draft {
    Draft {
        sku: "BTK-001".into(),
        name: "Batik tulis".into(),
        description: "Hand-drawn batik from Solo.".into(),
        price: 350_000,
        brand: Some("Danar Hadi".into()),
        weight_grams: 400,
    }
}

fn list(d: Draft) -> ProductCommand {
    ProductCommand::List {
        product_id: id(1),
        seller_id: id(2),
        sku: d.sku,
        name: d.name,
        description: d.description,
        price: Money::idr(d.price),
        category_id: Some(id(3)),
        brand: d.brand,
        weight_grams: d.weight_grams,
        condition: ProductCondition::Used,
        now: at(0),
    }
}

fn listed() -> ProductEvent {
    ProductEvent::ProductListed {
        product_id: id(1),
        seller_id: id(2),
        sku: "BTK-001".into(),
        name: "Batik tulis".into(),
        description: "Hand-drawn batik from Solo.".into(),
        price: Money::idr(350_000),
        category_id: Some(id(3)),
        brand: Some("Danar Hadi".into()),
        weight_grams: 400,
        condition: ProductCondition::Used,
        listed_at: at(0),
    }
}

#[track_caller]
fn rejected_fields(d: Draft) -> Vec<&'static str> {
    match given::<Product>([]).when(list(d)).error() {
        ProductError::Invalid(errors) => errors.iter().map(|e: &FieldError| e.field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn listing_a_product_records_it_with_trimmed_text() {
    let d = Draft {
        sku: " BTK-001 ".into(),
        name: " Batik tulis ".into(),
        brand: Some(" Danar Hadi ".into()),
        ..draft()
    };
    let product = given::<Product>([]).when(list(d)).then([listed()]);
    assert!(product.listed && product.is_on_sale());
    assert_eq!(product.price, Money::idr(350_000));
}

#[test]
fn an_empty_brand_is_recorded_as_none() {
    let events = given::<Product>([])
        .when(list(Draft {
            brand: Some("  ".into()),
            ..draft()
        }))
        .events();
    assert!(matches!(
        &events[0],
        ProductEvent::ProductListed { brand: None, .. }
    ));
}

#[test]
fn listing_twice_is_rejected() {
    given::<Product>([listed()])
        .when(list(draft()))
        .then_rejected(ProductError::AlreadyListed);
}

#[test]
fn listing_reports_every_invalid_field_at_once() {
    let d = Draft {
        sku: "".into(),
        name: " ".into(),
        description: "x".repeat(5_001),
        price: 0,
        brand: Some("b".repeat(101)),
        weight_grams: 0,
    };
    assert_eq!(
        rejected_fields(d),
        [
            "sku",
            "name",
            "description",
            "price",
            "weight_grams",
            "brand"
        ]
    );
}

#[test]
fn a_sku_is_1_to_64_letters_digits_dashes_underscores_or_dots() {
    for bad in ["BTK 001", "BTK/001", "BTK#1", "BATIK-É", &"A".repeat(65)] {
        assert_eq!(
            rejected_fields(Draft {
                sku: bad.into(),
                ..draft()
            }),
            ["sku"],
            "{bad}"
        );
    }
    for good in ["a.b_c-D9", &"A".repeat(64)] {
        assert_eq!(
            given::<Product>([])
                .when(list(Draft {
                    sku: good.into(),
                    ..draft()
                }))
                .events()
                .len(),
            1
        );
    }
}

#[test]
fn text_fields_are_limited_in_characters() {
    assert_eq!(
        rejected_fields(Draft {
            name: "n".repeat(201),
            ..draft()
        }),
        ["name"]
    );
    let longest = Draft {
        name: "é".repeat(200),
        description: "d".repeat(5_000),
        brand: Some("b".repeat(100)),
        ..draft()
    };
    assert_eq!(given::<Product>([]).when(list(longest)).events().len(), 1);
}

#[test]
fn price_and_weight_must_be_within_bounds() {
    assert_eq!(
        rejected_fields(Draft {
            price: -5,
            ..draft()
        }),
        ["price"]
    );
    assert_eq!(
        rejected_fields(Draft {
            price: 1_000_000_000_001,
            ..draft()
        }),
        ["price"]
    );
    assert_eq!(
        rejected_fields(Draft {
            weight_grams: 1_000_001,
            ..draft()
        }),
        ["weight_grams"]
    );
    let edges = Draft {
        price: 1_000_000_000_000,
        weight_grams: 1_000_000,
        ..draft()
    };
    assert_eq!(given::<Product>([]).when(list(edges)).events().len(), 1);
}

#[test]
fn discontinuing_a_listed_product_records_it_once() {
    let discontinued = ProductEvent::ProductDiscontinued {
        discontinued_at: at(5),
    };
    let product = given::<Product>([listed()])
        .when(ProductCommand::Discontinue { now: at(5) })
        .then([discontinued.clone()]);
    assert!(!product.is_on_sale());
    given::<Product>([listed(), discontinued])
        .when(ProductCommand::Discontinue { now: at(6) })
        .then_rejected(ProductError::AlreadyDiscontinued);
}

#[test]
fn discontinuing_an_unlisted_product_is_rejected() {
    given::<Product>([])
        .when(ProductCommand::Discontinue { now: at(5) })
        .then_rejected(ProductError::NotListed);
}

#[test]
fn only_the_owning_seller_or_an_admin_manages_a_product() {
    let product: Product = pasar_domain::replay([listed()]);
    assert!(product.can_be_managed_by(id(2), Role::Seller));
    assert!(product.can_be_managed_by(id(99), Role::Admin));
    assert!(!product.can_be_managed_by(id(99), Role::Seller));
    assert!(!product.can_be_managed_by(id(2), Role::Buyer));
    assert!(!Product::default().can_be_managed_by(uuid::Uuid::nil(), Role::Seller));
}

#[test]
fn skus_are_normalised_by_trimming_and_uppercasing() {
    assert_eq!(normalize_sku("  btk-001.a "), "BTK-001.A");
}

#[test]
fn an_edit_records_a_price_change_and_the_other_changes_as_their_own_events() {
    let edit = ProductCommand::Edit {
        name: Some("  Kopi Gayo 500 g ".into()),
        description: None,
        price: Some(Money::idr(95_000)),
        brand: None,
        weight_grams: Some(500),
        condition: None,
        category: None,
        low_stock_threshold: None,
        now: at(3),
    };
    let product: Product = pasar_domain::replay([listed()]);
    use pasar_domain::Aggregate;
    let events = product.decide(&edit).unwrap();
    assert!(
        matches!(
            &events[..],
            [
                ProductEvent::ProductRepriced { price, .. },
                ProductEvent::ProductEdited { name: Some(name), weight_grams: Some(500), condition: None, brand: None, description: None, .. },
            ] if *price == Money::idr(95_000) && name == "Kopi Gayo 500 g"
        ),
        "{events:?}"
    );
    let edited = events.iter().fold(product, |p, e| p.evolve(e));
    assert_eq!(
        edited.decide(&edit).unwrap(),
        vec![],
        "the same edit again changes nothing"
    );
    let free = ProductCommand::Edit {
        name: None,
        description: None,
        price: Some(Money::idr(0)),
        brand: None,
        weight_grams: None,
        condition: None,
        category: None,
        low_stock_threshold: None,
        now: at(4),
    };
    assert!(matches!(
        edited.decide(&free),
        Err(ProductError::Invalid(_))
    ));
}

#[test]
fn a_category_change_and_a_low_stock_threshold_are_their_own_events() {
    use pasar_domain::Aggregate;
    let edit = |category, threshold| ProductCommand::Edit {
        name: None,
        description: None,
        price: None,
        brand: None,
        weight_grams: None,
        condition: None,
        category,
        low_stock_threshold: threshold,
        now: at(5),
    };
    let product: Product = pasar_domain::replay([listed()]);
    let events = product.decide(&edit(Some(Some(id(40))), Some(3))).unwrap();
    assert_eq!(
        events,
        vec![
            ProductEvent::ProductCategorised {
                category_id: Some(id(40)),
                previous_category_id: product.category_id,
                categorised_at: at(5),
            },
            ProductEvent::ProductLowStockThresholdSet { threshold: 3 },
        ]
    );
    let moved = events.iter().fold(product, |p, e| p.evolve(e));
    assert_eq!(moved.category_id, Some(id(40)));
    assert_eq!(moved.low_stock_threshold, Some(3));
    assert_eq!(
        moved.decide(&edit(Some(Some(id(40))), Some(3))).unwrap(),
        vec![],
        "the same change again records nothing"
    );
    let cleared = moved.decide(&edit(Some(None), None)).unwrap();
    assert!(matches!(
        &cleared[..],
        [ProductEvent::ProductCategorised { category_id: None, previous_category_id: Some(c), .. }] if *c == id(40)
    ));
    assert!(matches!(
        moved.decide(&edit(None, Some(-1))),
        Err(ProductError::Invalid(errors)) if errors[0].field == "low_stock_threshold"
    ));
}
