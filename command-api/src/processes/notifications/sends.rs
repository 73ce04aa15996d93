//! The record of every mail (`notification_sends`), written on the pool, outside the batch
//! transaction, so what it says survives a rolled-back batch: a mail is claimed (committed)
//! before the SMTP transaction starts and marked once it ends.
//!
//! - claimed, then accepted by the server → `sent`; a replay or a retried batch finds it and
//!   sends nothing;
//! - claimed, then refused (connection refused, timeout, an SMTP error reply) → `failed`; the
//!   runtime retries the batch with backoff and the claim is taken again (SMTP down delays
//!   mail and loses none);
//! - claimed and never marked (the process died, or the database went away, in between) →
//!   found still `sending` by the next attempt, which marks it `uncertain` and does not send:
//!   the server may have accepted it, and a second mail is worse than asking a human. Such
//!   mails are logged at error level and counted (`pasar_notifications_uncertain_total`); the
//!   Message-ID finds them in the SMTP server's log.

use deadpool_postgres::Pool;
use uuid::Uuid;

use super::templates::MailKind;
use crate::app::AppError;
use crate::processes::database_down;

/// Whether a mail may be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Claimed: send it, then [`sent`] or [`failed`].
    Send,
    /// Accepted by the server before.
    AlreadySent,
    /// Left claimed by an attempt that died: maybe sent, never sent again.
    Uncertain,
}

/// Claims the mail `(event_id, kind)` for sending (a new one, or one that failed before).
pub async fn claim(
    pool: &Pool,
    event_id: Uuid,
    kind: MailKind,
    recipient: &str,
    message_id: &str,
) -> Result<Claim, AppError> {
    let client = pool.get().await.map_err(database_down)?;
    let claimed = client
        .query_opt(
            "INSERT INTO notification_sends (event_id, kind, recipient, message_id, state)
             VALUES ($1, $2, $3, $4, 'sending')
             ON CONFLICT (event_id, kind) DO UPDATE
                SET state = 'sending', attempts = notification_sends.attempts + 1,
                    claimed_at = now()
                WHERE notification_sends.state = 'failed'
             RETURNING attempts",
            &[&event_id, &kind.as_str(), &recipient, &message_id],
        )
        .await
        .map_err(database_down)?;
    if claimed.is_some() {
        return Ok(Claim::Send);
    }
    // Taken already: sent, or left `sending` by an attempt that never recorded its end.
    let row = client
        .query_one(
            "UPDATE notification_sends SET state = CASE state WHEN 'sending' THEN 'uncertain' ELSE state END
             WHERE event_id = $1 AND kind = $2
             RETURNING state",
            &[&event_id, &kind.as_str()],
        )
        .await
        .map_err(database_down)?;
    Ok(match row.get::<_, &str>(0) {
        "sent" => Claim::AlreadySent,
        _ => Claim::Uncertain,
    })
}

/// The server accepted the mail.
pub async fn sent(pool: &Pool, event_id: Uuid, kind: MailKind) -> Result<(), AppError> {
    let client = pool.get().await.map_err(database_down)?;
    client
        .execute(
            "UPDATE notification_sends SET state = 'sent', sent_at = now(), last_error = NULL
             WHERE event_id = $1 AND kind = $2",
            &[&event_id, &kind.as_str()],
        )
        .await
        .map_err(database_down)?;
    Ok(())
}

/// The server or the connection refused the mail: it will be claimed again.
pub async fn failed(
    pool: &Pool,
    event_id: Uuid,
    kind: MailKind,
    error: &str,
) -> Result<(), AppError> {
    let client = pool.get().await.map_err(database_down)?;
    client
        .execute(
            "UPDATE notification_sends SET state = 'failed', last_error = left($3, 500)
             WHERE event_id = $1 AND kind = $2",
            &[&event_id, &kind.as_str(), &error],
        )
        .await
        .map_err(database_down)?;
    Ok(())
}
