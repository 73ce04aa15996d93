//! Refresh-token sessions: started at login, rotated at each refresh, a whole family revoked
//! when a token it already rotated away comes back.

use chrono::{DateTime, Utc};
use pasar_events::types::CustomerEvent;
use uuid::Uuid;

use super::{Customer, CustomerError, REUSE_REASON, Session};

impl Customer {
    pub(super) fn start_session(
        &self,
        family_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        self.ensure_not_suspended()?;
        match self.session(family_id) {
            Some(session) if session.token_hash == token_hash => Ok(vec![]),
            Some(_) => Err(CustomerError::SessionAlreadyStarted),
            None => Ok(vec![CustomerEvent::SessionStarted {
                family_id,
                token_hash: token_hash.to_owned(),
                expires_at,
            }]),
        }
    }

    /// Checks run in this order: unknown family, revoked family, reuse of a rotated token
    /// (which revokes the family and is *not* an error, so the revocation gets recorded;
    /// the caller still refuses the token), a token foreign to the family, expiry.
    pub(super) fn refresh_session(
        &self,
        family_id: Uuid,
        presented_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        self.ensure_not_suspended()?;
        let session = self
            .session(family_id)
            .ok_or(CustomerError::SessionUnknown)?;
        if session.revoked {
            return Err(CustomerError::SessionRevoked);
        }
        if session.previous_hashes.iter().any(|h| h == presented_hash) {
            return Ok(vec![CustomerEvent::SessionRevoked {
                family_id,
                reason: REUSE_REASON.to_owned(),
            }]);
        }
        if session.token_hash != presented_hash {
            return Err(CustomerError::SessionUnknown);
        }
        if now >= session.expires_at {
            return Err(CustomerError::SessionExpired);
        }
        // A family's lifetime is absolute: it ends when the session that started it would
        // have, however often it is refreshed (a stolen token cannot be kept alive forever).
        Ok(vec![CustomerEvent::SessionRefreshed {
            family_id,
            token_hash: new_hash.to_owned(),
            expires_at: expires_at.min(session.expires_at),
        }])
    }

    pub(super) fn revoke_session(
        &self,
        family_id: Uuid,
        reason: &str,
    ) -> Result<Vec<CustomerEvent>, CustomerError> {
        self.ensure_registered()?;
        let session = self
            .session(family_id)
            .ok_or(CustomerError::SessionUnknown)?;
        if session.revoked {
            return Ok(vec![]);
        }
        Ok(vec![CustomerEvent::SessionRevoked {
            family_id,
            reason: reason.to_owned(),
        }])
    }

    /// Records a session's facts: started, rotated (the old hash kept to spot its reuse),
    /// revoked. Other events change nothing.
    pub(super) fn evolve_session(&mut self, event: &CustomerEvent) {
        match event {
            CustomerEvent::SessionStarted {
                family_id,
                token_hash,
                expires_at,
            } => {
                let session = Session {
                    token_hash: token_hash.clone(),
                    previous_hashes: vec![],
                    expires_at: *expires_at,
                    revoked: false,
                };
                self.sessions.insert(*family_id, session);
            }
            CustomerEvent::SessionRefreshed {
                family_id,
                token_hash,
                expires_at,
            } => {
                if let Some(session) = self.sessions.get_mut(family_id) {
                    let rotated = std::mem::replace(&mut session.token_hash, token_hash.clone());
                    session.previous_hashes.push(rotated);
                    session.expires_at = *expires_at;
                }
            }
            CustomerEvent::SessionRevoked { family_id, .. } => {
                if let Some(session) = self.sessions.get_mut(family_id) {
                    session.revoked = true;
                }
            }
            _ => {}
        }
    }
}
