//! The drainer's rounds on the in-memory event store: batching, retries, snapshots, panics.

use std::sync::atomic::Ordering;

use chrono::Utc;
use pasar_domain::stock::{Stock, StockCommand, StockError};
use pasar_events::DomainEvent;
use pasar_events::memory::MemoryEventStore;
use uuid::Uuid;

use super::*;
use crate::app::Rule;
use crate::app::exec::{derive_id, execute};
use crate::app::testing::FailingAppends;

fn reserve(order_id: Uuid) -> StockCommand {
    StockCommand::Reserve {
        order_id,
        quantity: 1,
        expires_at: Utc::now() + chrono::Duration::hours(1),
    }
}

// One thread, so that every buyer's command is queued before the stream's first round runs
// (the spawned tasks run in order, the drainer after them). On several threads the drainer
// could take the buyers one by one while the machine is busy, and the count of appends
// would measure the scheduler, not the batching (this failed now and then under load).
#[tokio::test]
async fn a_flash_sale_on_one_stream_sells_exactly_the_stock_in_few_appends_and_no_conflicts() {
    // Arrange
    let counting = Arc::new(FailingAppends::default());
    let store: Arc<dyn EventStore> = counting.clone();
    let stream = "stock-00000000-0000-0000-0000-000000000001";
    let meta = Metadata::default();
    let receive = StockCommand::Receive { quantity: 80 };
    execute::<Stock>(&store, stream, &receive, EventIds::Random, &meta)
        .await
        .unwrap();
    counting.appends.store(0, Ordering::SeqCst);

    // Act: 200 buyers at once
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let cmd = reserve(Uuid::new_v4());
                execute::<Stock>(&store, stream, &cmd, EventIds::Random, &Metadata::default()).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }

    // Assert
    let sold = outcomes.iter().filter(|o| o.is_ok()).count();
    let short = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Err(AppError::Rejected(Rule::Stock(
                    StockError::InsufficientStock { .. }
                )))
            )
        })
        .count();
    assert_eq!((sold, short), (80, 120), "every buyer gets a stock answer");
    let appends = counting.appends.load(Ordering::SeqCst);
    assert!(
        appends < 80,
        "{appends} appends for 80 reservations: not batched"
    );
    let stock: Stock = crate::app::exec::load(store.as_ref(), stream)
        .await
        .unwrap()
        .state;
    assert_eq!((stock.on_hand, stock.reserved()), (80, 80));
}

#[tokio::test]
async fn a_retry_in_the_same_round_as_its_original_appends_once() {
    // Arrange
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::default());
    let stream = "stock-00000000-0000-0000-0000-000000000002";
    let meta = Metadata::default();
    execute::<Stock>(
        &store,
        stream,
        &StockCommand::Receive { quantity: 5 },
        EventIds::Random,
        &meta,
    )
    .await
    .unwrap();
    let order = Uuid::new_v4();
    let ids = EventIds::Derived(derive_id(&["reserve", &order.to_string()]));

    // Act: the same derived command twice at once
    let command = reserve(order);
    let (a, b) = tokio::join!(
        execute::<Stock>(&store, stream, &command, ids, &meta),
        execute::<Stock>(&store, stream, &command, ids, &meta),
    );

    // Assert
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.events.len() + b.events.len(), 1, "one of them appended");
    let stock: Stock = crate::app::exec::load(store.as_ref(), stream)
        .await
        .unwrap()
        .state;
    assert_eq!(stock.reserved(), 1);
}

#[tokio::test]
async fn a_long_stream_loads_from_its_snapshot_to_the_same_state() {
    // Arrange: enough receipts to pass a snapshot point
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::default());
    let stream = "stock-00000000-0000-0000-0000-000000000003";
    let meta = Metadata::default();
    for _ in 0..(SNAPSHOT_EVERY + 20) {
        let receive = StockCommand::Receive { quantity: 1 };
        execute::<Stock>(&store, stream, &receive, EventIds::Random, &meta)
            .await
            .unwrap();
    }

    // Act
    let loaded = crate::app::exec::load::<Stock>(store.as_ref(), stream)
        .await
        .unwrap();

    // Assert
    let snapshot = store
        .load_snapshot(stream)
        .await
        .unwrap()
        .expect("a snapshot");
    assert!(
        loaded.snapshot_version.is_some(),
        "loaded from the snapshot"
    );
    assert_eq!(loaded.snapshot_version, Some(snapshot.version));
    let events = store.read_stream(stream, 1).await.unwrap();
    let replayed: Stock = pasar_domain::replay(
        events
            .iter()
            .map(|e| <Stock as Aggregate>::Event::decode(e).unwrap()),
    );
    assert_eq!(loaded.state, replayed);
    assert_eq!(loaded.version, SNAPSHOT_EVERY + 20);
}

#[tokio::test]
async fn a_retry_of_a_command_from_before_the_snapshot_appends_nothing_and_spoils_no_round() {
    // Arrange: a derived reservation, then enough history to snapshot past it
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::default());
    let stream = "stock-00000000-0000-0000-0000-000000000004";
    let meta = Metadata::default();
    let receive = StockCommand::Receive { quantity: 10 };
    execute::<Stock>(&store, stream, &receive, EventIds::Random, &meta)
        .await
        .unwrap();
    let order = Uuid::new_v4();
    let ids = EventIds::Derived(derive_id(&["reserve", &order.to_string()]));
    execute::<Stock>(&store, stream, &reserve(order), ids, &meta)
        .await
        .unwrap();
    let release = StockCommand::Release {
        order_id: order,
        reason: "test".into(),
    };
    execute::<Stock>(&store, stream, &release, EventIds::Random, &meta)
        .await
        .unwrap();
    for _ in 0..SNAPSHOT_EVERY {
        let receive = StockCommand::Receive { quantity: 1 };
        execute::<Stock>(&store, stream, &receive, EventIds::Random, &meta)
            .await
            .unwrap();
    }
    assert!(store.load_snapshot(stream).await.unwrap().is_some());

    // Act: the old reservation retried beside a new one, in one round
    let other = reserve(Uuid::new_v4());
    let retry = reserve(order);
    let (retried, fresh) = tokio::join!(
        execute::<Stock>(&store, stream, &retry, ids, &meta),
        execute::<Stock>(&store, stream, &other, EventIds::Random, &meta),
    );

    // Assert
    assert!(retried.unwrap().events.is_empty(), "recognised as applied");
    assert_eq!(fresh.unwrap().events.len(), 1);
    let stock = crate::app::exec::load::<Stock>(store.as_ref(), stream)
        .await
        .unwrap()
        .state;
    assert_eq!(stock.reserved(), 1, "only the new reservation holds stock");
}

/// An aggregate with a bug: deciding `true` panics.
#[derive(Debug, Default, Clone)]
struct Fragile;

impl Aggregate for Fragile {
    type Event = pasar_events::types::StockEvent;
    type Command = bool;
    type Error = StockError;

    fn decide(&self, explode: &bool) -> Result<Vec<Self::Event>, StockError> {
        assert!(!*explode, "a bug in decide");
        Ok(vec![pasar_events::types::StockEvent::StockReceived {
            quantity: 1,
            on_hand: 1,
            available: 1,
        }])
    }

    fn evolve(self, _: &Self::Event) -> Self {
        self
    }
}

#[tokio::test]
async fn a_panicking_round_answers_its_commands_and_leaves_the_stream_usable() {
    // Arrange
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::default());
    let stream = "stock-00000000-0000-0000-0000-000000000005";
    let meta = Metadata::default();

    // Act
    let limit = Duration::from_secs(5);
    let broken = tokio::time::timeout(
        limit,
        execute::<Fragile>(&store, stream, &true, EventIds::Random, &meta),
    )
    .await
    .expect("the panicking command is answered");
    let next = tokio::time::timeout(
        limit,
        execute::<Fragile>(&store, stream, &false, EventIds::Random, &meta),
    )
    .await
    .expect("the next command on the stream runs");

    // Assert
    assert!(
        matches!(broken, Err(AppError::Internal(_))),
        "the bug is an internal error"
    );
    assert_eq!(next.unwrap().events.len(), 1);
}

/// Runs `command` on `stream` through this instance's queue (random ids, no metadata).
async fn here(
    store: &Arc<dyn EventStore>,
    stream: &str,
    command: &StockCommand,
) -> Result<Outcome<Stock>, AppError> {
    execute::<Stock>(
        store,
        stream,
        command,
        EventIds::Random,
        &Metadata::default(),
    )
    .await
}

/// Appends `command`'s events to `stream` behind this instance's back (as another instance
/// would), on the stream as stored.
async fn elsewhere(store: &Arc<dyn EventStore>, stream: &str, command: &StockCommand) {
    let loaded = load::<Stock>(store.as_ref(), stream).await.unwrap();
    let events = loaded.state.decide(command).unwrap();
    let new = stream::new_events(&events, EventIds::Random, &Metadata::default());
    store
        .append(stream, ExpectedVersion::from_loaded(loaded.version), new)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_kept_state_that_another_writer_outdated_never_decides_an_answer() {
    // Arrange: this instance receives one unit (and keeps the state its round left).
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::default());
    let stream = "stock-00000000-0000-0000-0000-000000000007";
    let receive = StockCommand::Receive { quantity: 1 };
    here(&store, stream, &receive).await.unwrap();

    // Act: another instance sells the unit, then this one is asked for it (its kept state
    // says one is left). Then this one receives a unit and sells it, another instance receives
    // one, and this one is asked for it (its kept state says none is left).
    elsewhere(&store, stream, &reserve(Uuid::new_v4())).await;
    let sold_out = here(&store, stream, &reserve(Uuid::new_v4())).await;
    here(&store, stream, &receive).await.unwrap();
    here(&store, stream, &reserve(Uuid::new_v4()))
        .await
        .unwrap();
    elsewhere(&store, stream, &receive).await;
    let restocked = here(&store, stream, &reserve(Uuid::new_v4())).await;

    // Assert: each answer is the stream's as stored, not the kept state's.
    assert!(
        matches!(
            sold_out,
            Err(AppError::Rejected(Rule::Stock(
                StockError::InsufficientStock { .. }
            )))
        ),
        "the append from the kept state conflicted and the round was decided again: {:?}",
        sold_out.err()
    );
    let restocked = restocked.expect("the refusal from the kept state was decided again");
    assert_eq!(restocked.state.reserved(), 3);
    let stored = load::<Stock>(store.as_ref(), stream).await.unwrap();
    assert_eq!(stored.state, restocked.state);
    assert_eq!(stored.version, 6);
}

// One thread: the eight commands are queued before the stream's round runs, so one round
// decides them all (as eight simultaneous requests can land in one round on any runtime).
#[tokio::test]
async fn commands_satisfied_by_an_earlier_one_in_their_round_answer_its_effect() {
    use pasar_domain::customer::{Customer, CustomerCommand};
    use pasar_events::types::Role;

    // Arrange: a registered, active account.
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let customer_id = Uuid::now_v7();
    let stream = format!("customer-{customer_id}");
    let register = CustomerCommand::Register {
        customer_id,
        email: "ani@pasar.test".into(),
        full_name: "Ani".into(),
        role: Role::Seller,
        password_hash: "$argon2id$test".into(),
        now: Utc::now(),
    };
    let meta = Metadata::default();
    execute::<Customer>(&store, &stream, &register, EventIds::Random, &meta)
        .await
        .unwrap();

    // Act: eight suspensions at once, half of them one keyed request retried.
    let key = EventIds::Derived(derive_id(&["suspend", "same-key"]));
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let (store, stream) = (Arc::clone(&store), stream.clone());
            let ids = if n % 2 == 0 { key } else { EventIds::Random };
            tokio::spawn(async move {
                let suspend = CustomerCommand::Suspend {
                    reason: "duplicate accounts".into(),
                    now: Utc::now(),
                };
                execute::<Customer>(&store, &stream, &suspend, ids, &Metadata::default()).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap().unwrap());
    }

    // Assert: every answer shows the account suspended, at or after the suspension's
    // position; the log holds one suspension.
    let events = store.read_stream(&stream, 1).await.unwrap();
    let suspended: Vec<_> = events
        .iter()
        .filter(|e| e.event_type == "CustomerSuspended")
        .collect();
    assert_eq!(suspended.len(), 1);
    for outcome in &outcomes {
        assert!(outcome.state.is_suspended(), "{:?}", outcome.state);
        assert!(outcome.position >= suspended[0].position);
    }
}
