//! What feeds the index from the log: the live [`Follower`] and a rebuild's [`Builder`].
//!
//! A batch that the index keeps up with is applied and committed at once, so a change is
//! searchable as soon as its batch is applied. A *full* batch means the index is behind the
//! log (a start on an empty directory, a replica that was down): it is only staged, on a
//! blocking thread while the runtime reads the next batch, and committed together with the
//! ones after it — when a batch is not full, when [`COMMIT_EVERY`] events are staged, or by
//! [`SearchHost`]'s idle flush if the log ends right after a full batch. Each commit is an
//! fsync, a reader reload and a new segment to merge, so a catch-up makes far fewer.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pasar_events::runtime::{LocalProcessor, ProcessError};
use pasar_events::types::streams::Category;
use pasar_events::{Position, RecordedEvent};
use pasar_search::{SearchError, SearchIndex};
use tokio::task::JoinHandle;

use super::{NAME, SearchHost};

/// Events per batch read from the log.
const BATCH_SIZE: usize = 5_000;

/// Most events staged before a commit, even far behind.
const COMMIT_EVERY: usize = 60_000;

/// How long staged work waits for the next batch before the idle flush commits it.
pub(super) const STAGED_IDLE: Duration = Duration::from_millis(250);

const CATEGORIES: &[Category] = &[
    Category::Product,
    Category::Stock,
    Category::Customer,
    Category::Review,
];

/// Staging handed to a blocking thread, and not yet committed.
#[derive(Default)]
pub(super) struct Staging {
    /// The job staging the last full batch, until its outcome is looked at.
    job: Option<JoinHandle<Result<(), SearchError>>>,
    /// When the last uncommitted batch was handed over (`None`: nothing staged).
    since: Option<Instant>,
    /// The idle flush found the staged batches failed or could not commit them: they are
    /// gone, and the follower must read again from the committed checkpoint.
    lost: bool,
}

impl Staging {
    /// Waits for the staging job, if any. An error means everything staged is gone (the
    /// index rolled it back): the runtime must read again from the committed checkpoint.
    async fn settle(&mut self) -> Result<(), ProcessError> {
        let Some(job) = self.job.take() else {
            return Ok(());
        };
        let outcome = job.await.map_err(ProcessError::transient);
        if !matches!(outcome, Ok(Ok(()))) {
            self.since = None;
        }
        outcome?.map_err(process_error)
    }

    /// Staged work untouched for [`STAGED_IDLE`]?
    pub(super) fn idle(&self) -> bool {
        self.since.is_some_and(|at| at.elapsed() >= STAGED_IDLE)
    }

    /// Settles the job and commits everything staged in `index` (for the idle flush: a
    /// failure is remembered for the follower's next batch).
    pub(super) async fn commit(&mut self, index: Arc<SearchIndex>) -> Result<(), ProcessError> {
        self.since = None;
        let committed = match self.settle().await {
            Ok(()) => commit(index).await,
            Err(e) => Err(e),
        };
        self.lost |= committed.is_err();
        committed
    }
}

fn process_error(e: SearchError) -> ProcessError {
    match e {
        SearchError::Decode(_) => ProcessError::fatal(e),
        e => ProcessError::transient(e),
    }
}

/// Stages and commits `events`, off the async threads (a commit fsyncs).
async fn apply_now(
    index: Arc<SearchIndex>,
    events: &[RecordedEvent],
    position: Position,
) -> Result<(), ProcessError> {
    let events = events.to_vec();
    tokio::task::spawn_blocking(move || index.apply_through(&events, Some(position)))
        .await
        .map_err(ProcessError::transient)?
        .map_err(process_error)?;
    Ok(())
}

/// Commits what is staged in `index`, off the async threads.
pub(super) async fn commit(index: Arc<SearchIndex>) -> Result<(), ProcessError> {
    tokio::task::spawn_blocking(move || index.commit_staged())
        .await
        .map_err(ProcessError::transient)?
        .map_err(process_error)?;
    Ok(())
}

/// Whether a batch of `read` events (all read, wanted or not) leaves more to read at once.
fn behind(read: usize, staged: usize) -> bool {
    read >= BATCH_SIZE && staged < COMMIT_EVERY
}

/// Feeds the live index.
pub(super) struct Follower {
    pub(super) host: Arc<SearchHost>,
    /// Events of the current batch the runtime has shown [`LocalProcessor::wants`] (it asks
    /// once per event read, before `apply`), to tell a full batch from the log's tail.
    read: AtomicUsize,
}

impl Follower {
    pub(super) fn new(host: Arc<SearchHost>) -> Follower {
        Follower {
            host,
            read: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl LocalProcessor for Follower {
    fn name(&self) -> &str {
        NAME
    }
    fn categories(&self) -> &[Category] {
        CATEGORIES
    }
    fn wants(&self, event: &RecordedEvent) -> bool {
        self.read.fetch_add(1, Ordering::Relaxed);
        Category::of(&event.stream).is_some_and(|c| CATEGORIES.contains(&c))
    }
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }
    async fn checkpoint(&self) -> Result<Position, ProcessError> {
        Ok(self.host.index().checkpoint().unwrap_or(Position::START))
    }
    async fn apply(
        &self,
        events: &[RecordedEvent],
        position: Position,
    ) -> Result<(), ProcessError> {
        let read = self.read.swap(0, Ordering::Relaxed);
        let mut staging = self.host.applying.lock().await;
        staging.settle().await?;
        if std::mem::take(&mut staging.lost) {
            return Err(ProcessError::transient(
                "staged batches were lost; reading again from the committed checkpoint",
            ));
        }
        let index = self.host.index();
        if behind(read, index.staged().events) {
            let events = events.to_vec();
            staging.job = Some(tokio::task::spawn_blocking(move || {
                index.stage(&events, Some(position)).map(drop)
            }));
            staging.since = Some(Instant::now());
            return Ok(());
        }
        apply_now(index, events, position).await?;
        staging.since = None;
        self.host.announce();
        Ok(())
    }
}

/// Feeds a generation being rebuilt (staged in full batches, committed by the rebuild).
pub(super) struct Builder {
    pub(super) index: Arc<SearchIndex>,
    read: AtomicUsize,
}

impl Builder {
    pub(super) fn new(index: Arc<SearchIndex>) -> Builder {
        Builder {
            index,
            read: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl LocalProcessor for Builder {
    fn name(&self) -> &str {
        "search-rebuild"
    }
    fn categories(&self) -> &[Category] {
        CATEGORIES
    }
    fn wants(&self, event: &RecordedEvent) -> bool {
        self.read.fetch_add(1, Ordering::Relaxed);
        Category::of(&event.stream).is_some_and(|c| CATEGORIES.contains(&c))
    }
    fn batch_size(&self) -> usize {
        BATCH_SIZE
    }
    async fn checkpoint(&self) -> Result<Position, ProcessError> {
        Ok(self.index.checkpoint().unwrap_or(Position::START))
    }
    async fn apply(
        &self,
        events: &[RecordedEvent],
        position: Position,
    ) -> Result<(), ProcessError> {
        let read = self.read.swap(0, Ordering::Relaxed);
        if !behind(read, self.index.staged().events) {
            return apply_now(Arc::clone(&self.index), events, position).await;
        }
        let (index, events) = (Arc::clone(&self.index), events.to_vec());
        tokio::task::spawn_blocking(move || index.stage(&events, Some(position)))
            .await
            .map_err(ProcessError::transient)?
            .map_err(process_error)?;
        Ok(())
    }
}
