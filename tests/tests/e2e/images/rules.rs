//! Limits (ten per upload, twelve per product), who may change a product's images, and
//! reordering, the cover and removal.

use pasar_tests::stack::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use super::files::*;
use super::support::*;
use crate::support::{count, listed_product};

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
