//! Keeps the `account_access` table (migration 010) in step with the customer streams: what
//! every service checks beside an access token (see `pasar_service::access`). The admin use
//! cases write it right after their events, so a suspension bites at once; the
//! `account-access` processor writes it again from the log, so a write lost to a crash in
//! between is made good. Each write carries the stream's version and never replaces a newer
//! one, whoever comes last.

use pasar_domain::customer::Customer;
use pasar_events::types::{Role, streams};
use pasar_service::access::{Access, CHANNEL};
use uuid::Uuid;

use super::exec::load;
use super::{AppError, AppState, Dependency};

/// Writes `customer_id`'s current suspension and role (as its stream says now), wakes every
/// service's access list, and updates this process's at once.
pub async fn record(state: &AppState, customer_id: Uuid) -> Result<(), AppError> {
    let loaded = load::<Customer>(state.store.as_ref(), &streams::customer(customer_id)).await?;
    if !loaded.state.is_registered() {
        return Ok(());
    }
    let access = Access {
        suspended: loaded.state.is_suspended(),
        role: loaded.state.role,
    };
    write(&state.pool, customer_id, access, loaded.version).await?;
    state.access.set(customer_id, access);
    Ok(())
}

async fn write(
    pool: &deadpool_postgres::Pool,
    customer_id: Uuid,
    access: Access,
    version: i64,
) -> Result<(), AppError> {
    let role = access.role.unwrap_or(Role::Buyer).as_str();
    let client = pool.get().await.map_err(unavailable)?;
    client
        .execute(
            "WITH written AS (
                 INSERT INTO account_access (customer_id, suspended, role, stream_version)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (customer_id) DO UPDATE SET suspended = EXCLUDED.suspended,
                     role = EXCLUDED.role, stream_version = EXCLUDED.stream_version,
                     changed_at = now()
                 WHERE account_access.stream_version < EXCLUDED.stream_version
                 RETURNING 1)
             SELECT pg_notify($5, $1::text) FROM written",
            &[&customer_id, &access.suspended, &role, &version, &CHANNEL],
        )
        .await
        .map_err(unavailable)?;
    Ok(())
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::Database,
        detail: e.to_string(),
    }
}
