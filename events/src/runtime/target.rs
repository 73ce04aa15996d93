//! What the runtime's loop feeds, and how it reads a batch for it: only the payloads of the
//! categories the processor takes, when it takes no others.

use std::borrow::Borrow;

use super::local::LocalProcessor;
use super::{ProcessError, Processor};
use crate::{EventStore, Position, RecordedEvent, StoreError};

/// What the loop feeds: a shared processor (checkpoint row, leader lock, batch transaction)
/// or a local one (checkpoint kept with its own state).
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    Shared(&'a dyn Processor),
    Local(&'a dyn LocalProcessor),
}

impl Target<'_> {
    pub(super) fn name(&self) -> &str {
        match self {
            Target::Shared(p) => p.name(),
            Target::Local(p) => p.name(),
        }
    }

    pub(super) fn batch_size(&self) -> usize {
        match self {
            Target::Shared(p) => p.batch_size(),
            Target::Local(p) => p.batch_size(),
        }
    }

    pub(super) fn wants(&self, event: &RecordedEvent) -> bool {
        match self {
            Target::Shared(p) => p.wants(event),
            Target::Local(p) => p.wants(event),
        }
    }

    /// The stream-name prefixes whose events it needs whole, when it takes no others.
    pub(super) fn read_categories(&self) -> Option<Vec<&'static str>> {
        let (by_category, categories) = match self {
            Target::Shared(p) => (p.wants_by_category(), p.categories()),
            Target::Local(p) => (p.wants_by_category(), p.categories()),
        };
        by_category.then(|| categories.iter().map(|c| c.as_str()).collect())
    }

    /// Reads the batch after `from`: only the payload of its categories' events when it takes
    /// no others (the rest still move it on).
    pub(super) async fn read(
        &self,
        store: &dyn EventStore,
        from: Position,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        match self.read_categories() {
            Some(categories) => {
                store
                    .read_all_of(from, self.batch_size(), &categories)
                    .await
            }
            None => store.read_all(from, self.batch_size()).await,
        }
    }

    /// The wanted events of a batch (read by [`Target::read`] or taken from the shared tail),
    /// each made owned by `own`; refuses an event of another category (its payload may be
    /// missing) from a processor that said it takes none.
    pub(super) fn wanted<E: Borrow<RecordedEvent>>(
        &self,
        events: Vec<E>,
        own: fn(E) -> RecordedEvent,
    ) -> Result<Vec<RecordedEvent>, ProcessError> {
        let categories = self.read_categories();
        let mut wanted = Vec::new();
        for event in events.into_iter().filter(|e| self.wants(e.borrow())) {
            let stream = &event.borrow().stream;
            if let Some(categories) = &categories
                && !categories.contains(&crate::envelope::category_of(stream))
            {
                let message = format!(
                    "wants {stream} (category outside its categories) but did not say so in wants_by_category"
                );
                return Err(ProcessError::Fatal(message.into()));
            }
            wanted.push(own(event));
        }
        Ok(wanted)
    }
}
