//! The order flow and the expiry sweeper on the processor runtime over a fresh PostgreSQL
//! database: a sweep stuck on a slow Midtrans `/expire` does not hold up a settlement.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use chrono::Utc;
use pasar_domain::order::{Order, OrderCommand};
use pasar_domain::payment::{Notification, Payment, PaymentCommand};
use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::Metadata;
use pasar_events::types::{Money, OrderLine, OrderStatus, ShippingAddress, streams};
use tokio::sync::Notify;
use uuid::Uuid;

use super::MIGRATIONS;
use crate::app::exec::{EventIds, execute, load};
use crate::app::{AppState, testing};
use crate::config::{MidtransConfig, Secret};
use crate::midtrans::Midtrans;

/// A Midtrans whose `/expire` never answers; `entered` fires when a call arrives.
async fn slow_midtrans(entered: Arc<Notify>) -> Midtrans {
    let app = Router::new().route(
        "/v2/{id}/expire",
        post(move || {
            let entered = entered.clone();
            async move {
                entered.notify_one();
                std::future::pending::<()>().await;
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Midtrans::new(MidtransConfig {
        server_key: Secret::new("test-server-key"),
        snap_url: url.clone(),
        api_url: url,
        verify_with_status_api: false,
    })
    .unwrap()
}

/// An order of one unit of `product_id`, reserved until `expires_at`.
async fn reserved_order(app: &AppState, product_id: Uuid, payment_id: Uuid, minutes: i64) -> Uuid {
    let (order_id, expires_at) = (
        Uuid::now_v7(),
        Utc::now() + chrono::Duration::minutes(minutes),
    );
    let metadata = Metadata::default();
    let reserve = StockCommand::Reserve {
        order_id,
        quantity: 1,
        expires_at,
    };
    let stock = streams::stock(product_id);
    execute::<Stock>(&app.store, &stock, &reserve, EventIds::Random, &metadata)
        .await
        .unwrap();
    let line = OrderLine {
        product_id,
        sku: "KAOS-1".into(),
        name: "Kaos".into(),
        unit_price: Money::idr(10_000),
        quantity: 1,
        line_total: Money::idr(10_000),
    };
    let place = OrderCommand::Place {
        order_id,
        checkout_id: payment_id,
        payment_id,
        buyer_id: Uuid::now_v7(),
        seller_id: Uuid::now_v7(),
        lines: vec![line],
        shipping_cost: Money::idr(0),
        shipping_address: ShippingAddress::default(),
        now: Utc::now() - chrono::Duration::minutes(10),
        expires_at,
    };
    let stream = streams::order(order_id);
    execute::<Order>(&app.store, &stream, &place, EventIds::Random, &metadata)
        .await
        .unwrap();
    order_id
}

async fn pay(app: &AppState, payment_id: Uuid, order_id: Uuid) {
    let stream = streams::payment(payment_id);
    let metadata = Metadata::default();
    let initiate = PaymentCommand::Initiate {
        payment_id,
        checkout_id: payment_id,
        buyer_id: Uuid::now_v7(),
        order_ids: vec![order_id],
        gross_amount: Money::idr(10_000),
        snap_token: "t".into(),
        redirect_url: "u".into(),
        now: Utc::now(),
    };
    execute::<Payment>(&app.store, &stream, &initiate, EventIds::Random, &metadata)
        .await
        .unwrap();
    let settled = PaymentCommand::RecordNotification(Notification {
        transaction_id: "tx-1".into(),
        transaction_status: "settlement".into(),
        fraud_status: None,
        status_code: "200".into(),
        gross_amount: "10000.00".into(),
        payment_type: Some("bank_transfer".into()),
        refund_amount: None,
        refund_confirmed_at: None,
        now: Utc::now(),
    });
    execute::<Payment>(&app.store, &stream, &settled, EventIds::Random, &metadata)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_settlement_reaches_paid_while_the_sweep_waits_on_a_slow_expire() {
    // Arrange: a fresh database, an unpaid order past its expiry, a slow Midtrans.
    let url = format!(
        "postgres://postgres@127.0.0.1:5432/pasar_test_sweep_{}",
        Uuid::new_v4().simple()
    );
    let backend = pasar_events::select::Backend::Postgres;
    let (store, pool) = pasar_events::select::connect(&backend, &url, 4)
        .await
        .unwrap();
    pasar_events::runtime::migrate(&pool, &[MIGRATIONS])
        .await
        .unwrap();
    let entered = Arc::new(Notify::new());
    let mut app = testing::state(store.clone());
    app.pool = pool.clone();
    app.midtrans = slow_midtrans(entered.clone()).await;
    let product_id = Uuid::now_v7();
    let receive = StockCommand::Receive { quantity: 5 };
    let stock = streams::stock(product_id);
    execute::<Stock>(
        &store,
        &stock,
        &receive,
        EventIds::Random,
        &Metadata::default(),
    )
    .await
    .unwrap();
    let stale = reserved_order(&app, product_id, Uuid::now_v7(), -1).await;
    let runtime = pasar_events::runtime::Runtime::new(store.clone(), pool, url.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    let tasks = runtime.spawn(crate::server::processors(&app), stop.clone());
    entered.notified().await; // the sweep is now stuck on /expire

    // Act: a payment for another order settles.
    let (payment_id, started) = (Uuid::now_v7(), Instant::now());
    let fresh = reserved_order(&app, product_id, payment_id, 10).await;
    pay(&app, payment_id, fresh).await;

    // Assert: the order is paid and its stock committed promptly; the stale one still waits.
    loop {
        let order = load::<Order>(store.as_ref(), &streams::order(fresh))
            .await
            .unwrap()
            .state;
        let stock = load::<Stock>(store.as_ref(), &stock).await.unwrap().state;
        if order.status == Some(OrderStatus::Paid) && stock.is_committed(fresh) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "settlement held up: {order:?}"
        );
        let head = store.head().await.unwrap();
        store
            .wait_for_events(head, Duration::from_millis(200))
            .await;
    }
    let stale = load::<Order>(store.as_ref(), &streams::order(stale))
        .await
        .unwrap()
        .state;
    assert_eq!(stale.status, Some(OrderStatus::AwaitingPayment));
    stop.cancel();
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
    pasar_service::testing::drop_database(&url).await;
}

#[tokio::test]
async fn a_sweep_without_its_database_is_a_transient_failure_not_a_fatal_one() {
    // Arrange: the state's pool points at a port where nothing listens (a restarting database).
    use pasar_events::runtime::{ProcessError, Processor as _};
    let app = testing::state(Arc::new(pasar_events::memory::MemoryEventStore::new()));
    let sweeper = super::expiry::ExpirySweeper::new(
        app.store.clone(),
        app.pool.clone(),
        app.midtrans.clone(),
        Duration::from_secs(1),
    );

    // Act
    let error = sweeper.tick().await.unwrap_err();

    // Assert: retried on the next tick, never the end of the sweeper.
    assert!(matches!(error, ProcessError::Transient(_)), "{error}");
}
