//! Wake-ups off the commit path: coalesced NOTIFYs after commits, and a LISTEN connection that
//! bumps the in-process watch channel when another process appended.

use std::sync::Weak;
use std::time::Duration;

use futures::StreamExt;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{CHANNEL, Inner, NOTIFY_INTERVAL};

/// Sends coalesced NOTIFYs after commits, outside the appending transactions (a NOTIFY inside
/// them would serialise every commit on the notification queue lock).
///
/// It sends them on a connection of its own, taken out of the pool for good (the pool may open
/// another in its place): on a pooled one each NOTIFY waited for a free connection and held it
/// from an append, which with a small pool was every other append.
pub(super) async fn send_notifications(inner: Weak<Inner>) {
    // A wake-up need not wait for its own WAL flush (a NOTIFY commits with a transaction id):
    // a lost one only delays readers until their next look.
    let notify = format!("SET LOCAL synchronous_commit = off; NOTIFY {CHANNEL}");
    let mut connection: Option<deadpool_postgres::ClientWrapper> = None;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let signalled =
            tokio::time::timeout(Duration::from_secs(5), strong.notify_others.notified()).await;
        if signalled.is_err() {
            continue;
        }
        if connection.as_ref().is_none_or(|c| c.is_closed()) {
            connection = match strong.pool.get().await {
                Ok(pooled) => Some(deadpool_postgres::Object::take(pooled)),
                Err(e) => {
                    tracing::debug!(error = %e, "no connection for the events wake-up");
                    None
                }
            };
        }
        drop(strong);
        if let Some(client) = &connection
            && let Err(e) = client.batch_execute(&notify).await
        {
            tracing::debug!(error = %e, "could not send the events wake-up");
            connection = None;
        }
        // Appends signalled meanwhile share the next NOTIFY: under load one per interval,
        // not one per append, at the cost of at most this much extra wake-up latency.
        tokio::time::sleep(NOTIFY_INTERVAL).await;
    }
}

/// Keeps a dedicated LISTEN connection (pooled connections do not surface notifications) and
/// bumps the wake channel on each notification and on every reconnect.
pub(super) async fn listen(url: String, inner: Weak<Inner>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        if inner.upgrade().is_none() {
            return;
        }
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(Ok(message)) = messages.next().await {
                        if let AsyncMessage::Notification(_) = message {
                            let _ = tx.send(());
                        }
                    }
                });
                if client
                    .batch_execute(&format!("LISTEN {CHANNEL}"))
                    .await
                    .is_ok()
                {
                    backoff = Duration::from_millis(100);
                    bump(&inner);
                    loop {
                        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
                            Ok(Some(())) => bump(&inner),
                            Ok(None) => break,
                            Err(_) if inner.upgrade().is_none() => return,
                            Err(_) => {}
                        }
                    }
                }
                driver.abort();
            }
            Err(e) => tracing::debug!(error = %e, "events LISTEN connection failed; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn bump(inner: &Weak<Inner>) {
    if let Some(inner) = inner.upgrade() {
        inner.wake.send_modify(|n| *n = n.wrapping_add(1));
    }
}
