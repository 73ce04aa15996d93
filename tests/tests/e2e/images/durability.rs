//! Thumbnails made once each across a kill -9 of the command API, and the whole flow against
//! an S3-compatible server (moto).

use pasar_tests::stack::Stack;
use reqwest::StatusCode;

use super::files::*;
use super::support::*;
use crate::support::{count, listed_product};

#[tokio::test]
async fn each_thumbnail_is_made_once_across_a_kill_9_of_the_command_api() {
    // Arrange: ten large images, so their thumbnails take a while.
    let mut stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let files: Vec<_> = (0..10)
        .map(|i| file("big.jpg", "image/jpeg", jpeg(2400, 1800, i)))
        .collect();
    let (status, body) = upload(
        &stack,
        listed.product_id,
        Some(&listed.seller_token),
        &files,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Act: kill -9 the command API once the processor has begun, then start it again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let made_before = loop {
        let made = count(&stack, "ProductImageThumbnailsMade").await;
        if made >= 1 {
            break made;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no thumbnails were made"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    stack.kill("command-api");
    let at_kill = count(&stack, "ProductImageThumbnailsMade").await;
    eprintln!("thumbnails recorded when the command API was killed: {at_kill} of 10");
    stack.restart("command-api").await.unwrap();

    // Assert: every image has its thumbnails, each recorded once.
    let detail = until_thumbnails(&stack, listed.product_id, 10).await;
    let made = product_events(&stack, listed.product_id, "ProductImageThumbnailsMade").await;
    let mut images: Vec<&str> = made
        .iter()
        .map(|e| e["image_id"].as_str().unwrap())
        .collect();
    images.sort_unstable();
    images.dedup();
    assert_eq!(
        made.len(),
        10,
        "killed after {made_before} (then {at_kill}): {made:?}"
    );
    assert_eq!(images.len(), 10);
    assert_eq!(stored_files(&media_dir(&stack)), keys_of(&detail));
}

#[tokio::test]
async fn upload_thumbnails_and_serving_work_against_an_s3_compatible_server() {
    // Arrange: moto in server mode with a bucket, and the stack configured for it.
    let Some(moto) = Moto::start().await else {
        return;
    };
    moto.create_bucket("pasar-media").await;
    let stack = Stack::start_with(&[
        ("MEDIA_S3_BUCKET", "pasar-media"),
        ("MEDIA_S3_ENDPOINT", moto.url.as_str()),
        ("AWS_ACCESS_KEY_ID", "pasar-test"),
        ("AWS_SECRET_ACCESS_KEY", "pasar-test-secret"),
        ("AWS_REGION", "us-east-1"),
    ])
    .await
    .unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let token = Some(listed.seller_token.as_str());
    let files = [
        file("holiday.jpg", "image/jpeg", jpeg_with_gps(1000, 750)),
        file("label.png", "image/png", png(500, 400, 4)),
    ];

    // Act
    let (status, body) = upload(&stack, listed.product_id, token, &files, None).await;
    let (refused, _) = upload(
        &stack,
        listed.product_id,
        token,
        &[file("x.jpg", "image/jpeg", b"<svg/>".to_vec())],
        None,
    )
    .await;

    // Assert: in the bucket (and not on disk), thumbnails made, served without EXIF.
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(refused, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let detail = until_thumbnails(&stack, listed.product_id, 2).await;
    assert_eq!(moto.keys("pasar-media").await, keys_of(&detail));
    assert!(
        stored_files(&media_dir(&stack)).is_empty(),
        "nothing written locally"
    );
    let images = detail["images"].as_array().unwrap();
    let original = served(&stack, images[0]["url"].as_str().unwrap(), "image/jpeg").await;
    assert!(!has_exif(&original));
    served(&stack, images[1]["url"].as_str().unwrap(), "image/png").await;
    served(
        &stack,
        thumbnail(&images[0], 480)["url"].as_str().unwrap(),
        "image/jpeg",
    )
    .await;
    let (missing, _, _) = fetch(
        &stack,
        &format!("/v1/media/thumbs/{}.jpg", "f".repeat(64)),
        &[],
    )
    .await;
    assert_eq!(missing, StatusCode::NOT_FOUND);
}
