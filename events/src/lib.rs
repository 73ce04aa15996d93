//! The event log's contract.
//!
//! - [`envelope`]: what an event looks like before ([`NewEvent`]) and after ([`RecordedEvent`])
//!   it is stored, and the [`Position`] that totally orders the global log.
//! - [`store`]: the [`EventStore`] trait every backend implements, with its error type.
//! - [`types`]: the typed, versioned events of every stream, shared by the domain (which
//!   decides them), the projector (which reads them) and the reactors; [`upcast`] brings
//!   older stored versions to the current shape on read.
//! - Backends behind cargo features: `memory` (fast unit tests), `postgres` (the default
//!   production store) and `eventstoredb`. Start reading at [`store::EventStore`].
//! - `migrate` (feature `postgres`): the one migration mechanism for every schema in the
//!   database (numbered SQL files per owner, one history table, an advisory lock).
//! - `runtime` (feature `runtime`): the processor runtime that everything following the log
//!   runs on: the `Processor` contract, one checkpoint table, a leader lock per name, one
//!   backoff loop, ticks, metrics, `catch_up`.

pub mod envelope;
pub mod store;
pub mod types;
pub mod upcast;

#[cfg(feature = "eventstoredb")]
pub mod eventstoredb;
#[cfg(feature = "memory")]
pub mod memory;
#[cfg(feature = "postgres")]
pub mod migrate;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "postgres")]
pub mod select;

pub use envelope::{Metadata, NewEvent, Position, RecordedEvent};
pub use store::{AppendResult, EventStore, ExpectedVersion, Snapshot, StoreError, StreamAppend};
pub use types::{DomainEvent, EventDecodeError};
