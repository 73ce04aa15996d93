//! The state each stream's last round left, kept in memory for its next round.
//!
//! A busy stream (a product receiving stock, a cart being filled) was read back from the
//! store before every round: the events since its last snapshot, up to a hundred, read and
//! decoded again each time. This instance knows the state its own last append left, so the
//! next round starts from it. That is safe because a round from a kept state appends with
//! that state's version as the expectation: if anything else wrote to the stream meanwhile
//! (another instance, a reactor), the append is refused as a conflict and the round reloads
//! from the store. What no append checks (a round that only refuses or changes nothing) is
//! decided again on the stream as stored before anyone is answered (see `run_round`).
//!
//! Bounded: at most [`CAPACITY`] streams, each forgotten after [`IDLE`] without a round.

use std::any::{Any, TypeId};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use pasar_domain::Aggregate;

use super::Key;
use crate::app::stream::Loaded;

/// Most streams whose state is kept.
const CAPACITY: u64 = 4096;
/// A stream without a round for this long is forgotten.
const IDLE: Duration = Duration::from_secs(60);

static STATES: LazyLock<moka::sync::Cache<Key, Arc<dyn Any + Send + Sync>>> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(CAPACITY)
        .time_to_idle(IDLE)
        .build()
});

/// The kept state of `stream`, taken out (a round owns it until it keeps the next one).
pub(super) fn take<A: Aggregate>(stream: &str) -> Option<Loaded<A>> {
    let kept = STATES.remove(&(TypeId::of::<A>(), stream.to_owned()))?;
    kept.downcast::<Loaded<A>>().ok().map(Arc::unwrap_or_clone)
}

/// Keeps the state a round of `stream` left, for its next round.
pub(super) fn keep<A: Aggregate>(stream: &str, loaded: Loaded<A>) {
    STATES.insert((TypeId::of::<A>(), stream.to_owned()), Arc::new(loaded));
}
