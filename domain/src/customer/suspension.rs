//! An admin's hold on an account: suspended, it can neither sign in nor refresh (every
//! session family is revoked when it is suspended), until an admin reinstates it. Who may
//! suspend whom is the caller's check (an admin, never themselves); here, what is recorded.

use chrono::{DateTime, Utc};
use pasar_events::types::CustomerEvent;

use super::{Customer, CustomerError};
use crate::char_len;

/// Longest suspension reason, in characters, after trimming.
pub const MAX_SUSPENSION_REASON_CHARS: usize = 500;
/// The reason recorded on the sessions a suspension revokes.
pub const SUSPENDED_REASON: &str = "account suspended";

/// Why and since when an account is suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    pub reason: String,
    pub since: DateTime<Utc>,
}

impl Customer {
    /// Records a suspension or a reinstatement.
    pub(super) fn evolve_suspension(&mut self, event: &CustomerEvent) {
        match event {
            CustomerEvent::CustomerSuspended {
                reason,
                suspended_at,
            } => {
                self.suspension = Some(Suspension {
                    reason: reason.clone(),
                    since: *suspended_at,
                });
            }
            CustomerEvent::CustomerReinstated { .. } => self.suspension = None,
            _ => {}
        }
    }

    /// Suspended by an admin and not reinstated since.
    pub fn is_suspended(&self) -> bool {
        self.suspension.is_some()
    }

    /// `Suspended` while the account is suspended.
    pub(super) fn ensure_not_suspended(&self) -> Result<(), CustomerError> {
        if self.is_suspended() {
            Err(CustomerError::Suspended)
        } else {
            Ok(())
        }
    }

    /// Suspends the account and revokes every live session family; suspending a suspended
    /// account records nothing.
    pub(super) fn suspend(
        &self,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        let reason = reason.trim();
        if !(1..=MAX_SUSPENSION_REASON_CHARS).contains(&char_len(reason)) {
            return Err(CustomerError::InvalidSuspensionReason);
        }
        if self.is_suspended() {
            return Ok(vec![]);
        }
        let suspended = CustomerEvent::CustomerSuspended {
            reason: reason.to_owned(),
            suspended_at: now,
        };
        let revoked = self
            .sessions
            .iter()
            .filter(|(_, session)| !session.revoked)
            .map(|(family_id, _)| CustomerEvent::SessionRevoked {
                family_id: *family_id,
                reason: SUSPENDED_REASON.to_owned(),
            });
        Ok(std::iter::once(suspended).chain(revoked).collect())
    }

    /// Lifts the suspension; an account that is not suspended records nothing.
    pub(super) fn reinstate(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        if !self.is_suspended() {
            return Ok(vec![]);
        }
        Ok(vec![CustomerEvent::CustomerReinstated {
            reinstated_at: now,
        }])
    }
}
