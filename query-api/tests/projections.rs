use pasar_events::types::{Role, streams};
use pasar_projector::registry;
use pasar_projector::slices::Catalog;
use serde_json::Value;
use uuid::Uuid;

use crate::support::fixtures::NewProduct;
use crate::support::{spawn_app, token};

#[tokio::test]
async fn projection_progress_is_for_admins_only() {
    let app = spawn_app().await;

    let anonymous = app.get("/v1/projections", None, None).await;
    let buyer = token(Uuid::new_v4(), Role::Buyer);
    let as_buyer = app.get("/v1/projections", Some(&buyer), None).await;
    let seller = token(Uuid::new_v4(), Role::Seller);
    let as_seller = app.get("/v1/projections", Some(&seller), None).await;

    assert_eq!(anonymous.status(), 401);
    assert_eq!(as_buyer.status(), 403);
    assert_eq!(as_seller.status(), 403);
}

#[tokio::test]
async fn admins_see_version_state_position_and_lag_of_every_projection() {
    // Arrange: the catalog projected, a rebuild of it registered but not run.
    let app = spawn_app().await;
    let product = NewProduct::new(Uuid::new_v4(), 1_000);
    app.append(&streams::product(product.id), &[product.listed()])
        .await;
    app.project().await;
    let pool = pasar_events::postgres::pool(app.database_url(), 1).unwrap();
    registry::begin_building(&mut pool.get().await.unwrap(), &Catalog)
        .await
        .unwrap();
    let admin = token(Uuid::new_v4(), Role::Admin);

    // Act
    let body: Value = app.get_json("/v1/projections", Some(&admin)).await;

    // Assert: the same figures `projector status` reports.
    let names = app.projector.names();
    let expected = pasar_projector::status::statuses(&pool, &names)
        .await
        .unwrap();
    let served = body["projections"].as_array().unwrap();
    // Every projection's live version, and the catalog's building one.
    assert_eq!(served.len(), names.len() + 1, "{body}");
    for status in &expected {
        let found = served
            .iter()
            .find(|p| p["name"] == status.name.as_str() && p["version"] == status.version)
            .unwrap_or_else(|| panic!("{} v{} in {body}", status.name, status.version));
        assert_eq!(found["state"], status.state.as_str());
        assert_eq!(found["position"], status.position.to_string());
        assert_eq!(found["lag_events"], status.lag);
        assert!(found["lag_seconds"].is_number());
        assert!(found["updated_at"].is_string());
    }
    let building = served.iter().find(|p| p["state"] == "building").unwrap();
    assert_eq!(
        (
            &building["name"],
            &building["version"],
            &building["lag_events"]
        ),
        (&Value::from("catalog"), &Value::from(2), &Value::from(1))
    );
}

#[tokio::test]
async fn every_processor_on_the_checkpoint_table_is_listed_not_only_projections() {
    // Arrange: a processor that is no projection (a reactor, the publisher) registered with
    // the runtime; it shares the one checkpoint table.
    let app = spawn_app().await;
    let pool = pasar_events::postgres::pool(app.database_url(), 1).unwrap();
    let reactor = format!("reactor.test-{}", Uuid::new_v4().simple());
    pasar_events::runtime::checkpoint::ensure(&pool.get().await.unwrap(), &[&reactor])
        .await
        .unwrap();
    let admin = token(Uuid::new_v4(), Role::Admin);

    // Act
    let body: Value = app.get_json("/v1/projections", Some(&admin)).await;

    // Assert
    let served = body["projections"].as_array().unwrap();
    let found = served
        .iter()
        .find(|p| p["name"] == reactor.as_str())
        .unwrap_or_else(|| panic!("{reactor} in {body}"));
    assert_eq!(found["state"], "live");
    assert_eq!(found["position"], "0-0");
    for name in app.projector.names() {
        assert!(served.iter().any(|p| p["name"] == name), "{name} in {body}");
    }
}
