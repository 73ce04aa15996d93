//! The image events of a product stream in `rm.product_images`: order, cover, removal and
//! thumbnails, and nothing changes when the log is delivered again.

use pasar_events::types::{ImageThumbnail, ProductEvent, streams};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::Harness;
use crate::support::fixtures::{at, product_listed};

fn added(image_id: Uuid, n: u32) -> ProductEvent {
    ProductEvent::ProductImageAdded {
        image_id,
        key: format!("images/{n:064x}.jpg"),
        content_type: "image/jpeg".into(),
        width: 800,
        height: 600,
        bytes: 1_000,
        added_at: at(n),
    }
}

async fn images(h: &Harness, product: Uuid) -> Vec<Value> {
    h.rows("rm.product_images")
        .await
        .into_iter()
        .filter(|r| r["product_id"] == json!(product))
        .collect()
}

fn in_order(rows: &[Value]) -> Vec<Value> {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| r["position"].as_i64());
    rows.iter().map(|r| r["image_id"].clone()).collect()
}

#[tokio::test]
async fn images_keep_their_order_cover_and_thumbnails_through_a_replay() {
    // Arrange
    let h = Harness::new().await;
    let product = Uuid::new_v4();
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let thumbnail = ImageThumbnail {
        size: 160,
        key: format!("thumbs/{:064x}.jpg", 9),
        content_type: "image/jpeg".into(),
        width: 160,
        height: 120,
    };
    h.append(
        &streams::product(product),
        &[
            product_listed(product, Uuid::new_v4(), 1_000),
            added(a, 1),
            added(b, 2),
            added(c, 3),
            ProductEvent::ProductImagesReordered {
                image_ids: vec![c, a, b],
                reordered_at: at(4),
            },
            ProductEvent::ProductCoverChosen {
                image_id: b,
                chosen_at: at(5),
            },
            ProductEvent::ProductImageRemoved {
                image_id: a,
                removed_at: at(6),
            },
            ProductEvent::ProductImageThumbnailsMade {
                image_id: b,
                thumbnails: vec![thumbnail],
                made_at: at(7),
            },
        ],
    )
    .await;

    // Act: project, then deliver the whole log again.
    h.project().await;
    let first = images(&h, product).await;
    h.rewind_checkpoints().await;
    h.project().await;

    // Assert
    assert_eq!(in_order(&first), [json!(b), json!(c)]);
    let cover = first.iter().find(|r| r["image_id"] == json!(b)).unwrap();
    assert_eq!(
        cover["thumbnails"][0]["key"],
        json!(format!("thumbs/{:064x}.jpg", 9))
    );
    let other = first.iter().find(|r| r["image_id"] == json!(c)).unwrap();
    assert_eq!(other["thumbnails"], Value::Null, "still processing");
    assert_eq!(images(&h, product).await, first, "a replay changes nothing");
    let row = h.row("rm.products", product).await.unwrap();
    assert_eq!(row["product_version"], json!(8));
}
