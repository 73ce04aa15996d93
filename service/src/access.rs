//! Account access beyond the token: an access token is a JWT valid for its whole life, so what
//! an admin changes about an account (a suspension, a new role) is checked on every request
//! against [`AccessList`], an in-memory copy of the `account_access` table.
//!
//! The command API writes that table when an admin suspends, reinstates or changes the role of
//! an account (and its `account-access` processor rewrites it from the log, should a write be
//! lost), then sends `NOTIFY pasar_account_access`. Each service keeps its copy current with a
//! dedicated LISTEN connection, re-reading the table on every notification and every
//! [`REFRESH_INTERVAL`] besides. The copy is therefore at most [`STALENESS_BOUND`] behind the
//! table (a notification normally lands within milliseconds; the command API that made the
//! change also updates its own copy at once). Only accounts an admin acted on have a row, so
//! the table stays small and a re-read is cheap.
//!
//! A request is refused (401) when its account is suspended, or when its token names a role
//! the account no longer has: the client refreshes and gets a token with the current role.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use pasar_events::types::Role;
use tokio_postgres::{AsyncMessage, NoTls};
use uuid::Uuid;

use crate::auth::{AuthError, AuthUser};

/// The NOTIFY channel the command API signals a change on.
pub const CHANNEL: &str = "pasar_account_access";
/// Re-read period when no notification arrives (the fallback when NOTIFY is lost).
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(1);
/// How far behind the table a service's copy may be: one re-read period plus the re-read.
pub const STALENESS_BOUND: Duration = Duration::from_secs(2);

/// What an admin set on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub suspended: bool,
    /// The account's current role; `None` when only a suspension was ever recorded.
    pub role: Option<Role>,
}

/// The accounts an admin acted on, as this process last read them.
#[derive(Debug, Default)]
pub struct AccessList {
    entries: RwLock<HashMap<Uuid, Access>>,
}

impl AccessList {
    /// An empty list (every token passes until the first read).
    pub fn new() -> Arc<AccessList> {
        Arc::new(AccessList::default())
    }

    /// `Unauthorized` when `user`'s account is suspended or its token's role is outdated.
    pub fn check(&self, user: &AuthUser) -> Result<(), AuthError> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        match entries.get(&user.id) {
            Some(access) if access.suspended => {
                Err(AuthError::Unauthorized("this account is suspended".into()))
            }
            Some(Access {
                role: Some(role), ..
            }) if *role != user.role => Err(AuthError::Unauthorized(
                "the account's role changed; refresh the access token".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Records one account's access here at once (the process that made the change).
    pub fn set(&self, customer_id: Uuid, access: Access) {
        self.entries
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(customer_id, access);
    }

    /// Replaces the list with the table's rows.
    pub async fn reload(
        &self,
        client: &tokio_postgres::Client,
    ) -> Result<(), tokio_postgres::Error> {
        let rows = client
            .query(
                "SELECT customer_id, suspended, role FROM account_access",
                &[],
            )
            .await?;
        let entries = rows
            .iter()
            .map(|row| {
                let role: Option<String> = row.get("role");
                let access = Access {
                    suspended: row.get("suspended"),
                    role: role.as_deref().and_then(parse_role),
                };
                (row.get::<_, Uuid>("customer_id"), access)
            })
            .collect();
        *self.entries.write().unwrap_or_else(|e| e.into_inner()) = entries;
        Ok(())
    }

    /// Keeps the list current from `database_url` until the task is aborted: a LISTEN
    /// connection, re-reading on each notification and every [`REFRESH_INTERVAL`].
    /// Reconnects with backoff; the list keeps its last content meanwhile.
    pub fn spawn(self: &Arc<Self>, database_url: String) -> tokio::task::JoinHandle<()> {
        let list = Arc::clone(self);
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match list.follow(&database_url).await {
                    Ok(()) => backoff = Duration::from_millis(100),
                    Err(e) => tracing::debug!(error = %e, "account access: reconnecting"),
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        })
    }

    /// One connection's life: LISTEN, then re-read on notifications and ticks until it fails.
    async fn follow(&self, database_url: &str) -> Result<(), tokio_postgres::Error> {
        let (client, mut connection) = tokio_postgres::connect(database_url, NoTls).await?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = messages.next().await {
                if let AsyncMessage::Notification(_) = message {
                    let _ = tx.send(());
                }
            }
        });
        let result = async {
            client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
            loop {
                if let Err(e) = self.reload(&client).await {
                    // The table may not exist yet (the command API creates it): keep trying.
                    if client.is_closed() {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "account access: cannot read the table yet");
                }
                match tokio::time::timeout(REFRESH_INTERVAL, rx.recv()).await {
                    Ok(Some(())) | Err(_) => {}
                    Ok(None) => return Ok(()),
                }
                // Several notifications at once need one re-read.
                while rx.try_recv().is_ok() {}
            }
        }
        .await;
        driver.abort();
        result
    }
}

fn parse_role(role: &str) -> Option<Role> {
    match role {
        "buyer" => Some(Role::Buyer),
        "seller" => Some(Role::Seller),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> AuthUser {
        AuthUser {
            id: Uuid::from_u128(7),
            role,
            session: None,
        }
    }

    #[test]
    fn a_suspended_account_or_an_outdated_role_is_refused() {
        let list = AccessList::new();
        assert!(list.check(&user(Role::Seller)).is_ok(), "no row: allowed");
        list.set(
            Uuid::from_u128(7),
            Access {
                suspended: false,
                role: Some(Role::Admin),
            },
        );
        assert!(list.check(&user(Role::Admin)).is_ok());
        assert!(matches!(
            list.check(&user(Role::Seller)),
            Err(AuthError::Unauthorized(_))
        ));
        list.set(
            Uuid::from_u128(7),
            Access {
                suspended: true,
                role: None,
            },
        );
        assert!(matches!(
            list.check(&user(Role::Admin)),
            Err(AuthError::Unauthorized(_))
        ));
    }
}
