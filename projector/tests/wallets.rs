use chrono::{TimeZone, Utc};
use pasar_events::types::{Money, WalletCreditSource, WalletEvent, streams};
use pasar_projector::slices::wallets::queries;
use uuid::Uuid;

use crate::support::Harness;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 10, 0, 0).unwrap()
}

fn history(payment: Uuid, checkout: Uuid, debit: Uuid) -> Vec<WalletEvent> {
    vec![
        WalletEvent::WalletTopUpRequested {
            payment_id: payment,
            amount: Money::idr(50_000),
            requested_at: at(),
        },
        WalletEvent::WalletCredited {
            amount: Money::idr(50_000),
            source: WalletCreditSource::TopUp {
                payment_id: payment,
            },
            balance: Money::idr(50_000),
            credited_at: at(),
        },
        WalletEvent::WalletDebited {
            debit_id: debit,
            checkout_id: checkout,
            amount: Money::idr(30_000),
            balance: Money::idr(20_000),
            debited_at: at(),
        },
        WalletEvent::WalletDebitReturned {
            debit_id: debit,
            amount: Money::idr(30_000),
            reason: "payment expired".into(),
            balance: Money::idr(50_000),
            returned_at: at(),
        },
    ]
}

#[tokio::test]
async fn a_wallet_shows_its_balance_and_movements_newest_first_once_each() {
    // Arrange
    let h = Harness::new().await;
    let (buyer, payment, checkout, debit) = (
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
        Uuid::new_v4(),
    );

    // Act
    h.append(&streams::wallet(buyer), &history(payment, checkout, debit))
        .await;
    h.project().await;
    // A replay of the same events changes nothing (the version guard).
    h.rewind_checkpoints().await;
    h.project().await;

    // Assert
    let client = h.pool.get().await.unwrap();
    let balance = queries::balance(&client, buyer).await.unwrap();
    assert_eq!(
        (balance.balance, balance.currency.as_str()),
        (50_000, "IDR")
    );
    let moves = queries::movements(&client, buyer, None, 10).await.unwrap();
    let seen: Vec<(&str, i64, i64)> = moves
        .iter()
        .map(|m| (m.kind.as_str(), m.amount, m.balance))
        .collect();
    assert_eq!(
        seen,
        [
            ("checkout_return", 30_000, 50_000),
            ("checkout_payment", -30_000, 20_000),
            ("top_up", 50_000, 50_000),
        ]
    );
    assert_eq!(moves[1].reference_id, checkout);
    assert_eq!(moves[2].reference_id, payment);
    let after_first = queries::movements(&client, buyer, Some(moves[0].position), 10)
        .await
        .unwrap();
    assert_eq!(after_first.len(), 2, "the page after the newest");
    let nobody = queries::balance(&client, Uuid::new_v4()).await.unwrap();
    assert_eq!(nobody.balance, 0, "a wallet that never moved reads zero");
}
