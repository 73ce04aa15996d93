//! Running commands: load → decide → append, with the loaded version as the expectation.
//! Commands on one stream go through [`super::serial`], which decides them together and
//! retries races lost to other instances; loading and ids live in [`super::stream`].

use std::sync::Arc;

use pasar_domain::Aggregate;
use pasar_events::{EventStore, Metadata};

use super::AppError;
pub use super::stream::{EventIds, Loaded, Outcome, derive_id, load};

/// Runs `command` against the aggregate in `stream`. With [`EventIds::Derived`], a command
/// whose first event is already in the stream is recognised as applied and not decided again.
/// A domain rejection is [`AppError::Rejected`]. Commands on one stream are serialised in this
/// instance and decided together (see [`super::serial`]); a race lost to another instance is
/// decided again until [`super::serial::CONFLICT_DEADLINE`], then [`AppError::Conflict`].
pub async fn execute<A>(
    store: &Arc<dyn EventStore>,
    stream: &str,
    command: &A::Command,
    ids: EventIds,
    metadata: &Metadata,
) -> Result<Outcome<A>, AppError>
where
    A: Aggregate,
    AppError: From<A::Error>,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    let pending = super::serial::Pending {
        command: command.clone(),
        ids,
        metadata: metadata.clone(),
        reply,
    };
    super::serial::submit(store, stream, pending);
    answer.await.map_err(|_| {
        AppError::Internal(anyhow::anyhow!(
            "the command queue of {stream} stopped without answering"
        ))
    })?
}
