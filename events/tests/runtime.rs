//! The processor runtime against a real PostgreSQL: checkpoints commit with the processor's
//! writes, transient failures retry the same batch, one instance per name is active and a
//! standby takes over, ticks run, and the migration mechanism refuses edited steps.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Pool, Transaction};
use pasar_events::postgres::{PgEventStore, pool};
use pasar_events::runtime::{
    self, Migrations, ProcessError, Processor, Runtime, RuntimeOptions, checkpoint,
    lock::LeaderLock,
};
use pasar_events::types::streams::Category;
use pasar_events::{EventStore, ExpectedVersion, Position, RecordedEvent};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[expect(
    dead_code,
    reason = "helpers shared by the test binaries; this one uses some"
)]
mod common;
use common::{database_url, event};

/// What a test processor reports.
#[derive(Debug, PartialEq)]
enum Seen {
    Batch(Vec<String>),
    Tick,
}

/// Records the streams it handles in table `seen` (through the batch transaction) and on a
/// channel; fails its first `failures` batches.
struct Recorder {
    name: String,
    failures: AtomicUsize,
    fatal: bool,
    tick: Option<Duration>,
    /// Wants every event while still saying it takes its categories only (a mistake).
    greedy: bool,
    report: mpsc::UnboundedSender<Seen>,
    /// Where `committed` reports the positions it is told, when set.
    told: Option<mpsc::UnboundedSender<Position>>,
}

#[async_trait]
impl Processor for Recorder {
    fn name(&self) -> &str {
        &self.name
    }
    fn categories(&self) -> &[Category] {
        &[Category::Order]
    }
    fn wants(&self, event: &RecordedEvent) -> bool {
        self.greedy || event.stream.starts_with("order-")
    }
    fn batch_size(&self) -> usize {
        2
    }
    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        for e in events {
            tx.execute("INSERT INTO seen (event_id) VALUES ($1)", &[&e.event_id])
                .await
                .map_err(ProcessError::transient)?;
        }
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            let e = std::io::Error::other("told to fail");
            return Err(if self.fatal {
                ProcessError::fatal(e)
            } else {
                ProcessError::transient(e)
            });
        }
        let _ = self.report.send(Seen::Batch(
            events.iter().map(|e| e.stream.clone()).collect(),
        ));
        Ok(())
    }
    fn tick_interval(&self) -> Option<Duration> {
        self.tick
    }
    async fn tick(&self) -> Result<(), ProcessError> {
        let _ = self.report.send(Seen::Tick);
        Ok(())
    }
    async fn committed(&self, position: Position, _events: usize) {
        if let Some(told) = &self.told {
            let _ = told.send(position);
        }
    }
}

fn recorder(name: &str) -> (Recorder, mpsc::UnboundedReceiver<Seen>) {
    let (report, seen) = mpsc::unbounded_channel();
    let recorder = Recorder {
        name: name.to_owned(),
        failures: AtomicUsize::new(0),
        fatal: false,
        tick: None,
        greedy: false,
        report,
        told: None,
    };
    (recorder, seen)
}

struct Setup {
    url: String,
    store: Arc<PgEventStore>,
    pool: Pool,
}

async fn setup() -> Setup {
    let url = database_url();
    let store = Arc::new(PgEventStore::connect(&url).await.unwrap());
    let pool = pool(&url, 4).unwrap();
    pool.get()
        .await
        .unwrap()
        .batch_execute("CREATE TABLE seen (event_id uuid PRIMARY KEY)")
        .await
        .unwrap();
    Setup { url, store, pool }
}

impl Setup {
    fn runtime(&self) -> Runtime {
        Runtime::new(self.store.clone(), self.pool.clone(), self.url.clone()).with_options(
            RuntimeOptions {
                idle_wait: Duration::from_millis(200),
                standby_retry: Duration::from_millis(50),
                min_backoff: Duration::from_millis(10),
                max_backoff: Duration::from_millis(50),
            },
        )
    }

    /// Appends one event and waits until readers can see it: the log hands out an event only
    /// once no older transaction of the cluster can still commit, and other tests run beside
    /// this one.
    async fn append(&self, category: Category) -> Position {
        let stream = category.stream(Uuid::new_v4());
        let appended = self
            .store
            .append(&stream, ExpectedVersion::Any, vec![event(1)])
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let head = self.store.head().await.unwrap();
            if head >= appended.position {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the append never became readable"
            );
            self.store
                .wait_for_events(head, Duration::from_millis(50))
                .await;
        }
        appended.position
    }

    async fn seen(&self) -> i64 {
        let client = self.pool.get().await.unwrap();
        client
            .query_one("SELECT count(*) FROM seen", &[])
            .await
            .unwrap()
            .get(0)
    }

    async fn checkpoint(&self, name: &str) -> Position {
        checkpoint::load(&self.pool.get().await.unwrap(), name)
            .await
            .unwrap()
    }
}

async fn next(seen: &mut mpsc::UnboundedReceiver<Seen>) -> Seen {
    tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("the processor reported within 10 s")
        .expect("the processor is alive")
}

#[tokio::test]
async fn catch_up_hands_over_only_wanted_events_and_commits_the_checkpoint_with_the_writes() {
    // Arrange
    let s = setup().await;
    let (processor, mut seen) = recorder("orders-test");
    let order = s.append(Category::Order).await;
    s.append(Category::Cart).await;
    let head = s.append(Category::Cart).await;

    // Act
    let reached = s.runtime().catch_up(&processor).await.unwrap();

    // Assert
    assert_eq!(reached, head, "ignored events still move the checkpoint");
    assert_eq!(s.checkpoint("orders-test").await, head);
    assert_eq!(
        next(&mut seen).await,
        Seen::Batch(vec![format!("order-{}", order_id(&s, order).await)])
    );
    assert_eq!(s.seen().await, 1);
    assert_eq!(
        s.runtime().catch_up(&processor).await.unwrap(),
        head,
        "nothing new"
    );
    assert_eq!(s.seen().await, 1, "no event handled twice");
}

async fn order_id(s: &Setup, at: Position) -> String {
    let events = s.store.read_all(Position::START, 100).await.unwrap();
    let event = events.iter().find(|e| e.position == at).unwrap();
    event.stream.trim_start_matches("order-").to_owned()
}

#[tokio::test]
async fn a_failed_batch_rolls_back_its_writes_and_keeps_the_checkpoint() {
    let s = setup().await;
    let (processor, _seen) = recorder("failing");
    processor.failures.store(1, Ordering::SeqCst);
    s.append(Category::Order).await;

    let error = s.runtime().catch_up(&processor).await.unwrap_err();

    assert!(!error.is_fatal(), "{error}");
    assert_eq!(s.checkpoint("failing").await, Position::START);
    assert_eq!(s.seen().await, 0, "the batch's writes were rolled back");
    let head = s.runtime().catch_up(&processor).await.unwrap();
    assert_eq!(s.checkpoint("failing").await, head);
    assert_eq!(s.seen().await, 1);
}

#[tokio::test]
async fn the_running_loop_retries_a_transient_failure_until_the_batch_commits() {
    let s = setup().await;
    let (processor, mut seen) = recorder("retrying");
    processor.failures.store(3, Ordering::SeqCst);
    let head = s.append(Category::Order).await;
    let stop = CancellationToken::new();

    let tasks = s.runtime().spawn(vec![Arc::new(processor)], stop.clone());

    assert!(matches!(next(&mut seen).await, Seen::Batch(_)));
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(s.checkpoint("retrying").await, head);
    assert_eq!(s.seen().await, 1, "three rolled-back attempts, one commit");
}

#[tokio::test]
async fn a_fatal_failure_is_reported_as_fatal() {
    let s = setup().await;
    let (mut processor, _seen) = recorder("fatal");
    processor.fatal = true;
    processor.failures.store(1, Ordering::SeqCst);
    s.append(Category::Order).await;

    let error = s.runtime().catch_up(&processor).await.unwrap_err();

    assert!(error.is_fatal(), "{error}");
    assert_eq!(s.checkpoint("fatal").await, Position::START);
}

#[tokio::test]
async fn a_processor_wanting_events_outside_the_categories_it_reads_is_stopped_as_fatal() {
    // Other categories' events may come without their payload (`wants_by_category`), so
    // handing one over would hand over an empty event.
    let s = setup().await;
    let (mut processor, _seen) = recorder("greedy");
    processor.greedy = true;
    s.append(Category::Cart).await;

    let error = s.runtime().catch_up(&processor).await.unwrap_err();

    assert!(error.is_fatal(), "{error}");
    assert_eq!(s.checkpoint("greedy").await, Position::START);
    assert_eq!(s.seen().await, 0);
}

#[tokio::test]
async fn one_instance_per_name_holds_the_leader_lock() {
    let s = setup().await;
    let name = format!("locked-{}", Uuid::new_v4());
    let first = LeaderLock::try_acquire(&s.url, &name).await.unwrap();
    assert!(first.is_some());
    assert!(
        LeaderLock::try_acquire(&s.url, &name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        LeaderLock::try_acquire(&s.url, "another")
            .await
            .unwrap()
            .is_some()
    );
    drop(first);
    // The lock goes with its connection; the server notices the closed socket at once.
    let mut taken = None;
    for _ in 0..100 {
        taken = LeaderLock::try_acquire(&s.url, &name).await.unwrap();
        if taken.is_some() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(taken.is_some(), "the lock is free once its holder is gone");
}

#[tokio::test]
async fn a_standby_instance_takes_over_when_the_active_one_stops() {
    // Arrange: instance A is active and has handled the first event.
    let s = setup().await;
    let name = format!("takeover-{}", Uuid::new_v4());
    let (a, mut seen_a) = recorder(&name);
    let (b, mut seen_b) = recorder(&name);
    s.append(Category::Order).await;
    let stop_a = CancellationToken::new();
    let stop_b = CancellationToken::new();
    let tasks_a = s.runtime().spawn(vec![Arc::new(a)], stop_a.clone());
    assert!(matches!(next(&mut seen_a).await, Seen::Batch(_)));
    let tasks_b = s.runtime().spawn(vec![Arc::new(b)], stop_b.clone());

    // Act: A stops; a new event arrives.
    stop_a.cancel();
    for task in tasks_a {
        task.await.unwrap();
    }
    let head = s.append(Category::Order).await;

    // Assert: B handles it, and only it (A's event is not handed over twice).
    assert!(matches!(next(&mut seen_b).await, Seen::Batch(streams) if streams.len() == 1));
    stop_b.cancel();
    for task in tasks_b {
        task.await.unwrap();
    }
    assert_eq!(s.checkpoint(&name).await, head);
    assert_eq!(s.seen().await, 2);
}

#[tokio::test]
async fn an_active_processor_with_a_tick_interval_is_ticked() {
    let s = setup().await;
    let (mut processor, mut seen) = recorder("ticking");
    processor.tick = Some(Duration::from_millis(20));
    let stop = CancellationToken::new();
    let tasks = s.runtime().spawn(vec![Arc::new(processor)], stop.clone());
    assert_eq!(next(&mut seen).await, Seen::Tick);
    assert_eq!(next(&mut seen).await, Seen::Tick);
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test]
async fn migrations_apply_once_and_an_edited_step_is_refused() {
    let s = setup().await;
    const V1: Migrations = Migrations {
        owner: "test_owner",
        steps: &[("001_things", "CREATE TABLE things (id int PRIMARY KEY)")],
    };
    const EDITED: Migrations = Migrations {
        owner: "test_owner",
        steps: &[("001_things", "CREATE TABLE things (id bigint PRIMARY KEY)")],
    };
    runtime::migrate(&s.pool, &[V1]).await.unwrap();
    runtime::migrate(&s.pool, &[V1])
        .await
        .expect("a second run applies nothing");
    let error = runtime::migrate(&s.pool, &[EDITED]).await.unwrap_err();
    assert!(
        matches!(error, runtime::MigrateError::Edited { .. }),
        "{error}"
    );
    let client = s.pool.get().await.unwrap();
    let recorded: i64 = client
        .query_one(
            "SELECT count(*) FROM pasar_migrations WHERE owner = 'test_owner'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 1);
}

/// A local processor: its state and checkpoint in memory, committed together; fails its
/// first `failures` batches without touching either.
#[derive(Default)]
struct LocalRecorder {
    state: std::sync::Mutex<(Position, Vec<String>)>,
    failures: AtomicUsize,
}

#[async_trait]
impl runtime::LocalProcessor for LocalRecorder {
    fn name(&self) -> &str {
        "local-test"
    }
    fn categories(&self) -> &[Category] {
        &[Category::Order]
    }
    fn batch_size(&self) -> usize {
        2
    }
    async fn checkpoint(&self) -> Result<Position, ProcessError> {
        Ok(self.state.lock().unwrap().0)
    }
    async fn apply(
        &self,
        events: &[RecordedEvent],
        position: Position,
    ) -> Result<(), ProcessError> {
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(ProcessError::transient(std::io::Error::other(
                "told to fail",
            )));
        }
        let mut state = self.state.lock().unwrap();
        state.0 = position;
        state.1.extend(events.iter().map(|e| e.stream.clone()));
        Ok(())
    }
}

#[tokio::test]
async fn a_local_processor_keeps_its_own_checkpoint_and_no_row_in_the_table() {
    // Arrange
    let s = setup().await;
    let processor = LocalRecorder::default();
    s.append(Category::Order).await;
    s.append(Category::Cart).await;
    let head = s.append(Category::Order).await;

    // Act
    let caught_up = s.runtime().catch_up_local(&processor).await.unwrap();

    // Assert
    assert_eq!(caught_up.position, head, "ignored events still move it");
    assert_eq!(caught_up.batches, 2, "batches of at most two events");
    let (position, streams) = processor.state.lock().unwrap().clone();
    assert_eq!(position, head);
    assert_eq!(streams.len(), 2, "only the wanted events: {streams:?}");
    let rows = checkpoint::load_all(&s.pool.get().await.unwrap())
        .await
        .unwrap_or_default();
    assert!(rows.iter().all(|c| c.name != "local-test"), "{rows:?}");
    let again = s.runtime().catch_up_local(&processor).await.unwrap();
    assert_eq!(
        (again.position, again.events),
        (head, 0),
        "resumes from its state"
    );
}

#[tokio::test]
async fn a_running_local_processor_retries_failures_and_follows_new_events() {
    let s = setup().await;
    let processor = Arc::new(LocalRecorder::default());
    processor.failures.store(2, Ordering::SeqCst);
    s.append(Category::Order).await;
    let stop = CancellationToken::new();
    let runtime = s.runtime();
    let task = {
        let (processor, stop) = (Arc::clone(&processor), stop.clone());
        tokio::spawn(async move { runtime.run_local(processor.as_ref(), &stop).await })
    };

    let head = s.append(Category::Order).await;

    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while processor.state.lock().unwrap().0 < head {
        assert!(std::time::Instant::now() < deadline, "never caught up");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert_eq!(
        processor.state.lock().unwrap().1.len(),
        2,
        "each event once"
    );
}

#[tokio::test]
async fn a_live_processor_is_told_at_once_and_its_row_follows_over_events_it_does_not_take() {
    // Arrange: a live processor that has handled one order event.
    let s = setup().await;
    let (mut processor, mut seen) = recorder("deferring");
    let (told, mut positions) = mpsc::unbounded_channel();
    processor.told = Some(told);
    let first = s.append(Category::Order).await;
    let stop = CancellationToken::new();
    let tasks = s.runtime().spawn(vec![Arc::new(processor)], stop.clone());
    assert!(matches!(next(&mut seen).await, Seen::Batch(_)));
    // `handle` reports before its transaction commits; `committed` after.
    let committed = tokio::time::timeout(Duration::from_secs(10), positions.recv())
        .await
        .expect("told of the batch it handled");
    assert_eq!(committed, Some(first));
    assert_eq!(
        s.checkpoint("deferring").await,
        first,
        "a batch that writes moves the row"
    );

    // Act: events it does not take, and then nothing more.
    let mut last = first;
    for _ in 0..5 {
        last = s.append(Category::Cart).await;
    }

    // Assert: its committed hook hears of the last one, and the row reaches it by itself.
    tokio::time::timeout(Duration::from_secs(10), async {
        while positions.recv().await.expect("alive") < last {}
    })
    .await
    .expect("told of the events it skipped");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while s.checkpoint("deferring").await < last {
        assert!(
            std::time::Instant::now() < deadline,
            "the checkpoint row never followed the position"
        );
        tokio::time::timeout(Duration::from_millis(50), positions.recv())
            .await
            .ok();
    }
    assert_eq!(s.checkpoint("deferring").await, last);
    stop.cancel();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(s.seen().await, 1, "only the order event was handled");
}

/// Acts on order events with no transaction of its own ([`Processor::react`] only), reporting
/// how many sessions of the database sit idle inside a transaction while it works; fails its
/// first `failures` batches.
struct Reactor {
    pool: Pool,
    failures: AtomicUsize,
    report: mpsc::UnboundedSender<(usize, i64)>,
}

#[async_trait]
impl Processor for Reactor {
    fn name(&self) -> &str {
        "reactor"
    }
    fn categories(&self) -> &[Category] {
        &[Category::Order]
    }
    fn transactional(&self) -> bool {
        false
    }
    async fn react(&self, events: &[RecordedEvent]) -> Result<(), ProcessError> {
        let client = self.pool.get().await.map_err(ProcessError::transient)?;
        let idle_in_transaction: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
                &[],
            )
            .await
            .map_err(ProcessError::transient)?
            .get(0);
        let _ = self.report.send((events.len(), idle_in_transaction));
        if self.failures.load(Ordering::SeqCst) > 0 {
            self.failures.fetch_sub(1, Ordering::SeqCst);
            return Err(ProcessError::transient(std::io::Error::other(
                "told to fail",
            )));
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_reacting_processor_works_with_no_transaction_open_and_then_moves_its_checkpoint() {
    // Arrange: a processor whose effects are elsewhere (an import, a thumbnail, NATS) may work
    // for longer than PostgreSQL lets a transaction sit idle; it must not hold one meanwhile.
    let s = setup().await;
    let (report, mut reported) = mpsc::unbounded_channel();
    let processor = Reactor {
        pool: s.pool.clone(),
        failures: AtomicUsize::new(1),
        report,
    };
    s.append(Category::Order).await;
    let head = s.append(Category::Cart).await;

    // Act
    let failed = s.runtime().catch_up(&processor).await.unwrap_err();
    let at_failure = s.checkpoint("reactor").await;
    let reached = s.runtime().catch_up(&processor).await.unwrap();

    // Assert
    assert!(!failed.is_fatal(), "{failed}");
    assert_eq!(
        at_failure,
        Position::START,
        "a failed reaction keeps the checkpoint"
    );
    assert_eq!(reached, head);
    assert_eq!(
        s.checkpoint("reactor").await,
        head,
        "the row moved without a transaction"
    );
    let mut calls = Vec::new();
    while let Ok(call) = reported.try_recv() {
        calls.push(call);
    }
    assert_eq!(
        calls,
        vec![(1, 0), (1, 0)],
        "one order event per attempt, and no session idle in a transaction while it reacted"
    );
}
