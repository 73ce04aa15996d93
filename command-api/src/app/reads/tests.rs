//! Shared reads on the in-memory event store: few reads for many callers, and never a read
//! that started before the caller asked.

use std::sync::atomic::Ordering;

use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::types::StockEvent;
use pasar_events::{ExpectedVersion, Metadata};

use super::*;
use crate::app::exec::{EventIds, execute};
use crate::app::stream::new_events;
use crate::app::testing::FailingAppends;

// One stream per test: the queues are shared by every test of the process.
const SHARED: &str = "stock-5ead0000-0000-0000-0000-000000000001";
const GATED: &str = "stock-5ead0000-0000-0000-0000-000000000002";

async fn receive(store: &Arc<dyn EventStore>, stream: &str, quantity: i64) {
    let command = StockCommand::Receive { quantity };
    execute::<Stock>(
        store,
        stream,
        &command,
        EventIds::Random,
        &Metadata::default(),
    )
    .await
    .unwrap();
}

// One thread: every caller joins before the reader task first runs (spawned tasks run in
// order, the reader after them).
#[tokio::test]
async fn two_hundred_callers_at_once_share_one_read_and_all_get_the_state() {
    // Arrange
    let counting = Arc::new(FailingAppends::default());
    let store: Arc<dyn EventStore> = counting.clone();
    receive(&store, SHARED, 5).await;
    receive(&store, SHARED, 3).await;
    counting.reads.store(0, Ordering::SeqCst);

    // Act
    let callers: Vec<_> = (0..200)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { load_shared::<Stock>(&store, SHARED).await })
        })
        .collect();
    let mut loaded = Vec::new();
    for caller in callers {
        loaded.push(caller.await.unwrap().unwrap());
    }

    // Assert
    assert!(
        loaded
            .iter()
            .all(|l| l.version == 2 && l.state.available() == 8)
    );
    assert_eq!(counting.reads.load(Ordering::SeqCst), 1);
    let key = (TypeId::of::<Stock>(), SHARED.to_owned());
    assert!(
        !QUEUES.lock().unwrap().contains_key(&key),
        "the queue is removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_arriving_during_a_read_gets_the_next_read_which_sees_what_was_stored_before() {
    // Arrange: a stream of one receipt; a read of it done but not answered yet.
    let held = Arc::new(FailingAppends::default());
    let store: Arc<dyn EventStore> = held.clone();
    receive(&store, GATED, 5).await;
    held.held.on.store(true, Ordering::SeqCst);
    let early = tokio::spawn({
        let store = Arc::clone(&store);
        async move { load_shared::<Stock>(&store, GATED).await }
    });
    held.held.read.notified().await;

    // Act: another receipt is stored (around the held read), then a second caller asks
    // while the first read waits.
    let receipt = StockEvent::StockReceived {
        quantity: 3,
        on_hand: 8,
        available: 8,
    };
    let events = new_events(&[receipt], EventIds::Random, &Metadata::default());
    held.inner
        .append(GATED, ExpectedVersion::Any, events)
        .await
        .unwrap();
    let mut late = Box::pin(load_shared::<Stock>(&store, GATED));
    assert!(futures::poll!(&mut late).is_pending(), "joined the queue");
    held.held.permits.add_permits(2);

    // Assert: the first caller gets the read it joined; the second a read that started after
    // it asked, which sees the second receipt.
    let early = early.await.unwrap().unwrap();
    let late = late.await.unwrap();
    assert_eq!((early.version, early.state.available()), (1, 5));
    assert_eq!((late.version, late.state.available()), (2, 8));
}
