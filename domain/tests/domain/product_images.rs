//! A product's images: at most twelve, each recorded once stored, removed, reordered, the
//! cover chosen, thumbnails recorded once.

use pasar_domain::product::{
    ImageCommand, MAX_IMAGES, Product, ProductCommand, ProductError, StoredImage,
};
use pasar_events::types::{ImageThumbnail, Money, ProductCondition, ProductEvent};
use uuid::Uuid;

use crate::support::{at, given, id};

fn listed() -> ProductEvent {
    ProductEvent::ProductListed {
        product_id: id(1),
        seller_id: id(2),
        sku: "BTK-001".into(),
        name: "Batik tulis".into(),
        description: String::new(),
        price: Money::idr(350_000),
        category_id: None,
        brand: None,
        weight_grams: 400,
        condition: ProductCondition::New,
        listed_at: at(0),
    }
}

fn image_id(n: u128) -> Uuid {
    id(1000 + n)
}

fn stored(n: u128) -> StoredImage {
    StoredImage {
        image_id: image_id(n),
        key: format!("images/{n:064x}.jpg"),
        content_type: "image/jpeg".into(),
        width: 800,
        height: 600,
        bytes: 1234,
    }
}

fn added(n: u128) -> ProductEvent {
    ProductEvent::ProductImageAdded {
        image_id: image_id(n),
        key: format!("images/{n:064x}.jpg"),
        content_type: "image/jpeg".into(),
        width: 800,
        height: 600,
        bytes: 1234,
        added_at: at(1),
    }
}

fn image(command: ImageCommand) -> ProductCommand {
    ProductCommand::Image(command)
}

fn add(ns: impl IntoIterator<Item = u128>) -> ProductCommand {
    image(ImageCommand::Add {
        images: ns.into_iter().map(stored).collect(),
        now: at(1),
    })
}

fn thumbs() -> Vec<ImageThumbnail> {
    vec![ImageThumbnail {
        size: 160,
        key: format!("thumbs/{:064x}.jpg", 7),
        content_type: "image/jpeg".into(),
        width: 160,
        height: 120,
    }]
}

fn history(ns: impl IntoIterator<Item = u128>) -> Vec<ProductEvent> {
    std::iter::once(listed())
        .chain(ns.into_iter().map(added))
        .collect()
}

#[test]
fn adding_images_records_each_in_order_after_the_existing_ones() {
    let product = given::<Product>(history([1]))
        .when(add([2, 3]))
        .then([added(2), added(3)]);
    let order: Vec<Uuid> = product.images.iter().map(|i| i.image_id).collect();
    assert_eq!(order, [image_id(1), image_id(2), image_id(3)]);
}

#[test]
fn a_thirteenth_image_is_rejected_and_twelve_are_accepted() {
    given::<Product>(history(1..=10))
        .when(add([11, 12]))
        .then([added(11), added(12)]);
    given::<Product>(history(1..=12))
        .when(add([13]))
        .then_rejected(ProductError::TooManyImages {
            max: MAX_IMAGES,
            has: 12,
        });
    given::<Product>(history(1..=5))
        .when(add(6..=13))
        .then_rejected(ProductError::TooManyImages { max: 12, has: 5 });
}

#[test]
fn an_upload_of_no_image_or_more_than_ten_is_invalid() {
    for ns in [vec![], (1..=11).collect::<Vec<_>>()] {
        let error = given::<Product>(history([])).when(add(ns)).error();
        assert!(matches!(error, ProductError::Invalid(ref e) if e[0].field == "files"));
    }
}

#[test]
fn images_of_a_product_never_listed_are_refused() {
    given::<Product>([])
        .when(add([1]))
        .then_rejected(ProductError::NotListed);
}

#[test]
fn removing_an_image_drops_it_and_an_unknown_one_is_refused() {
    let product = given::<Product>(history([1, 2]))
        .when(image(ImageCommand::Remove {
            image_id: image_id(1),
            now: at(2),
        }))
        .then([ProductEvent::ProductImageRemoved {
            image_id: image_id(1),
            removed_at: at(2),
        }]);
    assert_eq!(product.images.len(), 1);
    given::<Product>(history([1]))
        .when(image(ImageCommand::Remove {
            image_id: image_id(9),
            now: at(2),
        }))
        .then_rejected(ProductError::ImageNotFound);
}

#[test]
fn reordering_names_every_image_once_and_the_first_is_the_cover() {
    let reordered = vec![image_id(3), image_id(1), image_id(2)];
    let product = given::<Product>(history([1, 2, 3]))
        .when(image(ImageCommand::Reorder {
            image_ids: reordered.clone(),
            now: at(2),
        }))
        .then([ProductEvent::ProductImagesReordered {
            image_ids: reordered.clone(),
            reordered_at: at(2),
        }]);
    let order: Vec<Uuid> = product.images.iter().map(|i| i.image_id).collect();
    assert_eq!(order, reordered);
    for wrong in [
        vec![image_id(1), image_id(2)],
        vec![image_id(1), image_id(1), image_id(2)],
        vec![image_id(1), image_id(2), image_id(9)],
    ] {
        let error = given::<Product>(history([1, 2, 3]))
            .when(image(ImageCommand::Reorder {
                image_ids: wrong,
                now: at(2),
            }))
            .error();
        assert!(matches!(error, ProductError::Invalid(ref e) if e[0].field == "image_ids"));
    }
}

#[test]
fn reordering_to_the_same_order_records_nothing() {
    given::<Product>(history([1, 2]))
        .when(image(ImageCommand::Reorder {
            image_ids: vec![image_id(1), image_id(2)],
            now: at(2),
        }))
        .then_nothing();
}

#[test]
fn choosing_the_cover_moves_it_first_and_the_current_cover_records_nothing() {
    let product = given::<Product>(history([1, 2, 3]))
        .when(image(ImageCommand::ChooseCover {
            image_id: image_id(3),
            now: at(2),
        }))
        .then([ProductEvent::ProductCoverChosen {
            image_id: image_id(3),
            chosen_at: at(2),
        }]);
    let order: Vec<Uuid> = product.images.iter().map(|i| i.image_id).collect();
    assert_eq!(order, [image_id(3), image_id(1), image_id(2)]);
    given::<Product>(history([1, 2]))
        .when(image(ImageCommand::ChooseCover {
            image_id: image_id(1),
            now: at(2),
        }))
        .then_nothing();
    given::<Product>(history([1]))
        .when(image(ImageCommand::ChooseCover {
            image_id: image_id(5),
            now: at(2),
        }))
        .then_rejected(ProductError::ImageNotFound);
}

#[test]
fn thumbnails_are_recorded_once_and_not_for_a_removed_image() {
    let record = || {
        image(ImageCommand::RecordThumbnails {
            image_id: image_id(1),
            thumbnails: thumbs(),
            now: at(3),
        })
    };
    let made = ProductEvent::ProductImageThumbnailsMade {
        image_id: image_id(1),
        thumbnails: thumbs(),
        made_at: at(3),
    };
    let product = given::<Product>(history([1]))
        .when(record())
        .then([made.clone()]);
    assert_eq!(product.images[0].thumbnails, thumbs());
    let mut again = history([1]);
    again.push(made);
    given::<Product>(again).when(record()).then_nothing();
    let mut removed = history([1]);
    removed.push(ProductEvent::ProductImageRemoved {
        image_id: image_id(1),
        removed_at: at(2),
    });
    given::<Product>(removed).when(record()).then_nothing();
}
