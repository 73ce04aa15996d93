//! Open checkouts per buyer, for the cap on unpaid checkouts (`checkout_open`, migration
//! `002`). A checkout adds its row when it answers; the order-flow processor removes it when
//! the payment settles or fails or its orders close; rows past their expiry never count.

use chrono::{DateTime, Utc};
use pasar_domain::payment::Payment;
use pasar_events::postgres::cached;
use uuid::Uuid;

use crate::app::{AppError, Dependency};

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::Database,
        detail: e.to_string(),
    }
}

/// Takes one of `buyer_id`'s `limit` open-checkout slots for the running checkout `hold_id`
/// until `until`, or answers `false` when they are all taken. Counting and taking happen under
/// a per-buyer transaction lock, so simultaneous checkouts of one buyer (with different keys,
/// on any instance) can never exceed the cap: one call of `checkout_open_hold` (migration
/// `014`), one round trip. The hold row counts like an open checkout; the checkout replaces it
/// with its payment's row when it answers ([`opened`], [`release`]), and a crashed checkout's
/// hold simply expires.
pub async fn hold(
    pool: &deadpool_postgres::Pool,
    buyer_id: Uuid,
    hold_id: Uuid,
    limit: u32,
    until: DateTime<Utc>,
) -> Result<bool, AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    let held: bool = cached::query_one(
        &client,
        "SELECT checkout_open_hold($1, $2, $3, $4)",
        &[&hold_id, &buyer_id, &until, &i64::from(limit)],
    )
    .await
    .map_err(unavailable)?
    .get(0);
    Ok(held)
}

/// Gives back the running checkout's hold (its payment's own row, if any, stays). Best effort:
/// a hold left behind expires on its own.
pub async fn release(pool: &deadpool_postgres::Pool, hold_id: Uuid) {
    let released = match pool.get().await {
        Ok(client) => cached::execute(
            &client,
            "DELETE FROM checkout_open WHERE payment_id = $1",
            &[&hold_id],
        )
        .await
        .map(|_| ()),
        Err(e) => {
            tracing::warn!(error = %e, "could not give back a checkout hold; it will expire");
            return;
        }
    };
    if let Err(e) = released {
        tracing::warn!(error = %e, "could not give back a checkout hold; it will expire");
    }
}

/// Records `payment` as an open checkout until `expires_at` (idempotent), in place of its
/// checkout's hold: one statement, so the checkout need not [`release`] the hold after it.
pub async fn opened(
    pool: &deadpool_postgres::Pool,
    payment: &Payment,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    let client = pool.get().await.map_err(unavailable)?;
    cached::execute(
        &client,
        "WITH hold AS (DELETE FROM checkout_open WHERE payment_id = $4)
         INSERT INTO checkout_open (payment_id, buyer_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (payment_id) DO NOTHING",
        &[
            &payment.payment_id,
            &payment.buyer_id,
            &expires_at,
            &payment.checkout_id,
        ],
    )
    .await
    .map_err(unavailable)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use pasar_events::select::{Backend, connect};
    use uuid::Uuid;

    use super::hold;
    use crate::processes::MIGRATIONS;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn simultaneous_holds_of_one_buyer_never_exceed_the_cap() {
        // Arrange: a fresh database with command-api's tables.
        let url = format!(
            "postgres://postgres@127.0.0.1:5432/pasar_test_hold_{}",
            Uuid::new_v4().simple()
        );
        let (_, pool) = connect(&Backend::Postgres, &url, 8).await.unwrap();
        pasar_events::runtime::migrate(&pool, &[MIGRATIONS])
            .await
            .unwrap();
        let until = Utc::now() + Duration::minutes(10);

        // Act: ten buyers in turn, each with twenty checkouts taking a slot at once, on eight
        // connections.
        let mut taken = Vec::new();
        for _ in 0..10 {
            let buyer = Uuid::new_v4();
            let ids: Vec<Uuid> = (0..20).map(|_| Uuid::now_v7()).collect();
            let holds =
                futures::future::join_all(ids.iter().map(|id| hold(&pool, buyer, *id, 3, until)))
                    .await;
            assert!(holds.iter().all(Result::is_ok), "{holds:?}");
            let held = ids
                .iter()
                .zip(&holds)
                .filter(|(_, h)| matches!(h, Ok(true)));
            taken.push((buyer, held.map(|(id, _)| *id).collect::<Vec<_>>()));
        }

        // Assert: exactly the cap is taken each time; a held checkout keeps its slot when it
        // asks again; another buyer and an expired hold are not counted.
        for (buyer, held) in &taken {
            assert_eq!(held.len(), 3, "{buyer}: {held:?}");
        }
        let (buyer, ref held) = taken[0];
        let other = Uuid::new_v4();
        assert!(hold(&pool, buyer, held[0], 3, until).await.unwrap());
        assert!(!hold(&pool, buyer, Uuid::now_v7(), 3, until).await.unwrap());
        let past = Utc::now() - Duration::minutes(1);
        assert!(hold(&pool, other, Uuid::now_v7(), 1, past).await.unwrap());
        assert!(hold(&pool, other, Uuid::now_v7(), 1, until).await.unwrap());
    }
}
