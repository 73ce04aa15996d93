//! `customers`: `rm.customers` from customer streams, for `GET /v1/admin/customers`: each
//! account's email, name, role and whether an admin suspended it (with the reason). Nothing
//! secret of the stream (password hash, sessions' token hashes) is read into it.
//! Replay-safe: every write is guarded by the row's stream version.

pub mod queries;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pasar_events::RecordedEvent;
use pasar_events::types::CustomerEvent;
use pasar_events::types::streams::Category;

use super::{Projection, Write, decode, position_columns, stmt, stream_uuid};
use crate::ProjectorError;

/// The projection's name: its checkpoint, its lock, what a consistent read waits for.
pub const NAME: &str = "customers";

pub struct Customers;

#[async_trait]
impl Projection for Customers {
    fn name(&self) -> &'static str {
        NAME
    }

    fn categories(&self) -> &'static [Category] {
        &[Category::Customer]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["customers"]
    }

    fn schema(&self) -> &'static str {
        include_str!("schema.sql")
    }

    fn replay_safe(&self) -> bool {
        true
    }

    fn writes(&self, event: &RecordedEvent, out: &mut Vec<Write>) -> Result<(), ProjectorError> {
        if Category::of(&event.stream) != Some(Category::Customer) {
            return Ok(());
        }
        out.extend(write(event, decode(event)?)?);
        Ok(())
    }
}

/// The write one customer event makes, if any.
fn write(event: &RecordedEvent, customer: CustomerEvent) -> Result<Option<Write>, ProjectorError> {
    let id = stream_uuid(event)?;
    let version = event.stream_version;
    Ok(Some(match customer {
        CustomerEvent::CustomerRegistered {
            email,
            full_name,
            role,
            registered_at,
            ..
        } => registered(event, email, full_name, role.as_str(), registered_at)?,
        // The email went to someone else: this account never existed for anyone.
        CustomerEvent::RegistrationAbandoned { .. } => {
            stmt!("DELETE FROM customers WHERE id = $1", id)
        }
        CustomerEvent::RoleChanged { role } => stmt!(
            "UPDATE customers SET role = $2, stream_version = $3
             WHERE id = $1 AND stream_version < $3",
            id,
            role.as_str().to_owned(),
            version,
        ),
        CustomerEvent::CustomerSuspended {
            reason,
            suspended_at,
        } => stmt!(
            "UPDATE customers SET state = 'suspended', suspension_reason = $2,
                 suspended_at = $3, stream_version = $4
             WHERE id = $1 AND stream_version < $4",
            id,
            reason,
            suspended_at,
            version,
        ),
        CustomerEvent::CustomerProfileUpdated { full_name, .. } => stmt!(
            "UPDATE customers SET full_name = $2, stream_version = $3
             WHERE id = $1 AND stream_version < $3",
            id,
            full_name,
            version,
        ),
        CustomerEvent::CustomerReinstated { .. } => stmt!(
            "UPDATE customers SET state = 'active', suspension_reason = NULL,
                 suspended_at = NULL, stream_version = $2
             WHERE id = $1 AND stream_version < $2",
            id,
            version,
        ),
        _ => return Ok(None),
    }))
}

/// A new account's row, ordered by its registration's place in the log.
fn registered(
    event: &RecordedEvent,
    email: String,
    full_name: String,
    role: &str,
    registered_at: DateTime<Utc>,
) -> Result<Write, ProjectorError> {
    let (txid, global) = position_columns(event.position)?;
    Ok(stmt!(
        "INSERT INTO customers (id, email, full_name, role, state, registered_at,
             registered_txid, registered_global, stream_version)
         VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8)
         ON CONFLICT (id) DO NOTHING",
        stream_uuid(event)?,
        email,
        full_name,
        role.to_owned(),
        registered_at,
        txid,
        global,
        event.stream_version,
    ))
}
