//! CSV product imports: [`request`] records an accepted file's rows on `import-{id}` (the http
//! layer has checked the file's shape); the `imports` processor then imports each line through
//! [`line::import_line`], which creates or updates the product by SKU through the same use
//! cases as the HTTP routes ([`super::catalog`]), and records the outcomes here
//! ([`record`]).

mod cells;
pub mod line;

use chrono::Utc;
use pasar_domain::import::{Import, ImportCommand};
use pasar_events::types::{ImportRow, streams};
use pasar_events::{EventStore, Metadata};
use std::sync::Arc;
use uuid::Uuid;

use super::exec::{EventIds, Held, Outcome, derive_id, execute};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState};

/// Records an import of `rows` by `actor`, durably, before the caller answers. With an
/// idempotency key the import's id comes from the key, so a retry answers the same import and
/// records nothing again.
pub async fn request(
    state: &AppState,
    actor: Actor,
    rows: Vec<ImportRow>,
    key: Option<&Idempotency>,
) -> Result<(Uuid, Outcome<Import>), AppError> {
    let ids = idempotency::event_ids(state, "product-import", actor.id, key).await?;
    let import_id = match ids {
        EventIds::Derived(seed) => Uuid::new_v5(&seed, b"import"),
        EventIds::Random => Uuid::now_v7(),
    };
    let command = ImportCommand::Request {
        import_id,
        owner_id: actor.id,
        owner_role: actor.role,
        rows,
        now: Utc::now(),
    };
    let stream = streams::import(import_id);
    let outcome =
        execute::<Import>(&state.store, &stream, &command, ids, &actor.metadata()).await?;
    tracing::info!(import = %import_id, owner = %actor.id, rows = outcome.state.expected_rows, "import requested");
    Ok((import_id, outcome))
}

/// Runs one step of an import's own bookkeeping (`Start`, `Report`, `Complete`) on `import`
/// (the import's stream, which only its processor writes, held between steps so a step
/// costs its append and no reload of the file's rows), with ids derived from `step`, so a
/// step repeated after a crash appends nothing new.
pub async fn record(
    store: &Arc<dyn EventStore>,
    import: &mut Held<Import>,
    step: &str,
    command: ImportCommand,
    metadata: &Metadata,
) -> Result<(), AppError> {
    let import_id = import.state().import_id.to_string();
    let ids = EventIds::Derived(derive_id(&["import", &import_id, step]));
    import.run(store, &command, ids, metadata).await?;
    Ok(())
}
