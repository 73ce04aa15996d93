//! [`super::exec::start_stream`] and [`super::exec::Held`] over the in-memory store: a
//! retried command appends nothing twice, and a stream moved by someone else is decided on
//! what it holds.

use std::sync::Arc;

use pasar_domain::stock::{Stock, StockCommand};
use pasar_events::memory::MemoryEventStore;
use pasar_events::{EventStore, Metadata};
use uuid::Uuid;

use super::exec::{EventIds, Held, execute, start_stream};

fn receive(quantity: i64) -> StockCommand {
    StockCommand::Receive { quantity }
}

async fn versions(store: &dyn EventStore, stream: &str) -> usize {
    store.read_stream(stream, 1).await.unwrap().len()
}

#[tokio::test]
async fn starting_a_stream_again_with_the_same_ids_appends_nothing() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let ids = EventIds::Derived(Uuid::now_v7());
    let meta = Metadata::default();

    let first = start_stream::<Stock>(&store, "stock-a", &receive(5), ids, &meta).await;
    let again = start_stream::<Stock>(&store, "stock-a", &receive(5), ids, &meta).await;

    let (first, again) = (first.unwrap(), again.unwrap());
    assert_eq!(first.state.on_hand, 5);
    assert_eq!(again.state.on_hand, 5);
    assert_eq!(again.position, first.position);
    assert_eq!(versions(store.as_ref(), "stock-a").await, 1);
}

#[tokio::test]
async fn starting_a_stream_that_exists_decides_on_what_it_holds() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let meta = Metadata::default();
    execute::<Stock>(&store, "stock-b", &receive(3), EventIds::Random, &meta)
        .await
        .unwrap();

    let started = start_stream::<Stock>(&store, "stock-b", &receive(4), EventIds::Random, &meta)
        .await
        .unwrap();

    assert_eq!(started.state.on_hand, 7);
    assert_eq!(versions(store.as_ref(), "stock-b").await, 2);
}

#[tokio::test]
async fn a_held_stream_moved_by_another_writer_is_decided_on_what_it_holds() {
    let store: Arc<dyn EventStore> = Arc::new(MemoryEventStore::new());
    let meta = Metadata::default();
    let mut held = Held::<Stock>::load(store.as_ref(), "stock-c")
        .await
        .unwrap();
    held.run(&store, &receive(2), EventIds::Random, &meta)
        .await
        .unwrap();
    execute::<Stock>(&store, "stock-c", &receive(10), EventIds::Random, &meta)
        .await
        .unwrap();

    held.run(&store, &receive(1), EventIds::Random, &meta)
        .await
        .unwrap();
    let after = held.state().on_hand;
    let ids = EventIds::Derived(Uuid::now_v7());
    held.run(&store, &receive(1), ids, &meta).await.unwrap();
    let retried = held.run(&store, &receive(1), ids, &meta).await.unwrap();

    assert_eq!(after, 13);
    assert!(retried.is_empty(), "the retry appended nothing");
    assert_eq!(held.state().on_hand, 14);
    assert_eq!(versions(store.as_ref(), "stock-c").await, 4);
}
