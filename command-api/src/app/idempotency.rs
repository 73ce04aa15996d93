//! The optional `Idempotency-Key` of a command. The key names the command's event ids, so a
//! retry after a lost acknowledgement is recognised by the store and lands once; and it is
//! bound to the first request it came with (a fingerprint of that request), so the same key
//! sent with another request is refused ([`Rule::IdempotencyKeyReused`]) instead of being
//! answered with the first request's outcome.
//!
//! Checkout keeps its own binding in its stream ([`super::checkout`]); every other command
//! binds here, in the `idempotency_keys` table (command-api's migration 003).

use pasar_events::postgres::cached;
use uuid::Uuid;

use super::exec::{EventIds, derive_id};
use super::{AppError, AppState, Dependency, Rule};

/// A client's key and the fingerprint of the request it came with (a hash the http layer
/// computes over the request's meaning: path parameters and body, never a secret).
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
    /// A key the server derived itself for its own command (an import line's step): its event
    /// ids are already deterministic and it comes with one request only, so it is not bound
    /// (one round trip and one commit fewer per command). A client sending the same key
    /// string as its own header can only meet its own commands (the owner is in the ids).
    pub server_derived: bool,
}

impl Idempotency {
    /// A client's key, bound to the fingerprint of its request.
    pub fn client(key: String, fingerprint: String) -> Self {
        Idempotency {
            key,
            fingerprint,
            server_derived: false,
        }
    }

    /// A key derived by the server for one of its own commands.
    pub fn server_derived(key: String) -> Self {
        Idempotency {
            fingerprint: key.clone(),
            key,
            server_derived: true,
        }
    }

    /// Binds the key, for `action` by `owner`, to this request; refuses it when it was first
    /// seen with another request. Answers the seed of the command's event ids.
    pub async fn bind(
        &self,
        state: &AppState,
        action: &str,
        owner: Uuid,
    ) -> Result<Uuid, AppError> {
        if self.server_derived {
            return Ok(self.seed(action, owner));
        }
        let client = state.pool.get().await.map_err(unavailable)?;
        let inserted = cached::execute(
            &client,
            "INSERT INTO idempotency_keys (action, owner_id, key, fingerprint)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&action, &owner, &self.key, &self.fingerprint],
        )
        .await
        .map_err(unavailable)?;
        // Taken already (a retry, or a concurrent request with this key): compare. A separate
        // statement, so it sees a row committed while the insert waited on it.
        let bound: String = if inserted == 1 {
            self.fingerprint.clone()
        } else {
            cached::query_one(
                &client,
                "SELECT fingerprint FROM idempotency_keys
                     WHERE action = $1 AND owner_id = $2 AND key = $3",
                &[&action, &owner, &self.key],
            )
            .await
            .map_err(unavailable)?
            .get(0)
        };
        if bound != self.fingerprint {
            return Err(Rule::IdempotencyKeyReused.into());
        }
        Ok(self.seed(action, owner))
    }

    fn seed(&self, action: &str, owner: Uuid) -> Uuid {
        derive_id(&[action, &owner.to_string(), &self.key])
    }
}

/// The event ids of `action` by `owner`: derived from the key when the client sent one (after
/// binding it), fresh otherwise.
pub async fn event_ids(
    state: &AppState,
    action: &str,
    owner: Uuid,
    key: Option<&Idempotency>,
) -> Result<EventIds, AppError> {
    Ok(match key {
        Some(key) => EventIds::Derived(key.bind(state, action, owner).await?),
        None => EventIds::Random,
    })
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        dependency: Dependency::Database,
        detail: e.to_string(),
    }
}
