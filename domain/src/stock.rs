//! Stock of one product (`stock-{product_id}`).
//!
//! `available = on_hand − reserved`. Reservations hold units for an unpaid order until they
//! are committed (paid: the units leave `on_hand`), released, or expire. Every rule here keeps
//! `on_hand ≥ reserved`, so available never drops below zero. Reserve, release and commit are
//! idempotent per order id because reactors retry them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, Utc};
use pasar_events::types::StockEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Aggregate;

/// Most units one receipt or one adjustment may move.
pub const MAX_MOVEMENT: i64 = 1_000_000;
/// The reason recorded when [`StockCommand::ReleaseExpired`] frees a reservation.
pub const EXPIRED_REASON: &str = "reservation expired";

/// How many committed orders a stock remembers (oldest forgotten first). Remembering them
/// makes a late retry of an order's reservation a no-op; retries come within a checkout's
/// lifetime, long before this many later orders, and a retried append of an already stored
/// event is a no-op at the store anyway. The bound keeps the state (and its snapshot) small
/// however long the stream grows.
pub const REMEMBERED_COMMITS: usize = 256;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stock {
    pub on_hand: i64,
    /// Open reservations by order id.
    pub reservations: BTreeMap<Uuid, Reservation>,
    /// The last [`REMEMBERED_COMMITS`] orders whose reservation was committed.
    pub committed: BTreeSet<Uuid>,
    /// The same orders, oldest first (which to forget next).
    committed_order: VecDeque<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub quantity: i64,
    pub expires_at: DateTime<Utc>,
}

impl Stock {
    /// Units held by open reservations.
    pub fn reserved(&self) -> i64 {
        self.reservations.values().map(|r| r.quantity).sum()
    }

    /// Units that may still be reserved. Never below zero.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved()).max(0)
    }

    /// The open reservation of this order, if any.
    pub fn reservation(&self, order_id: Uuid) -> Option<&Reservation> {
        self.reservations.get(&order_id)
    }

    pub fn is_committed(&self, order_id: Uuid) -> bool {
        self.committed.contains(&order_id)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StockCommand {
    /// Goods arrived.
    Receive {
        quantity: i64,
    },
    /// A stock count correction (damage, loss, recount), either sign.
    Adjust {
        delta: i64,
        reason: String,
    },
    Reserve {
        order_id: Uuid,
        quantity: i64,
        expires_at: DateTime<Utc>,
    },
    Release {
        order_id: Uuid,
        reason: String,
    },
    /// The order was paid.
    Commit {
        order_id: Uuid,
    },
    /// Frees every reservation whose `expires_at` is at or before `now`.
    ReleaseExpired {
        now: DateTime<Utc>,
    },
    /// The units a paid order committed come back (the order was cancelled before it
    /// shipped). The caller knows the commit happened and its quantity; repeats are caught by
    /// the caller's deterministic event ids.
    Return {
        order_id: Uuid,
        quantity: i64,
    },
}

/// Why a stock command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("the quantity is out of range")]
    InvalidQuantity,
    #[error("requested {requested} but only {available} available")]
    InsufficientStock { requested: i64, available: i64 },
    #[error("a stock adjustment needs a reason")]
    ReasonRequired,
    /// Units promised to unpaid orders cannot be adjusted away.
    #[error("on hand would become {on_hand_after}, below the {reserved} units reserved")]
    AdjustmentBelowReserved { on_hand_after: i64, reserved: i64 },
}

impl Aggregate for Stock {
    type Event = StockEvent;
    type Command = StockCommand;
    type Error = StockError;

    const SNAPSHOT_VERSION: Option<i32> = Some(1);

    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }

    fn from_snapshot(value: &serde_json::Value) -> Option<Self> {
        serde_json::from_value(value.clone()).ok()
    }

    fn decide(&self, command: &StockCommand) -> Result<Vec<StockEvent>, StockError> {
        match command {
            StockCommand::Receive { quantity } => self.receive(*quantity),
            StockCommand::Adjust { delta, reason } => self.adjust(*delta, reason),
            StockCommand::Reserve {
                order_id,
                quantity,
                expires_at,
            } => self.reserve(*order_id, *quantity, *expires_at),
            StockCommand::Release { order_id, reason } => Ok(self.release(*order_id, reason)),
            StockCommand::Commit { order_id } => Ok(self.commit(*order_id)),
            StockCommand::ReleaseExpired { now } => Ok(self.release_expired(*now)),
            StockCommand::Return { order_id, quantity } => self.give_back(*order_id, *quantity),
        }
    }

    fn evolve(mut self, event: &StockEvent) -> Self {
        match event {
            StockEvent::StockReceived { on_hand, .. }
            | StockEvent::StockAdjusted { on_hand, .. }
            | StockEvent::StockReturned { on_hand, .. } => {
                self.on_hand = *on_hand;
            }
            StockEvent::StockReserved {
                order_id,
                quantity,
                expires_at,
                ..
            } => {
                let reservation = Reservation {
                    quantity: *quantity,
                    expires_at: *expires_at,
                };
                self.reservations.insert(*order_id, reservation);
            }
            StockEvent::ReservationReleased { order_id, .. } => {
                self.reservations.remove(order_id);
            }
            StockEvent::ReservationCommitted {
                order_id, on_hand, ..
            } => {
                self.reservations.remove(order_id);
                if self.committed.insert(*order_id) {
                    self.committed_order.push_back(*order_id);
                }
                while self.committed_order.len() > REMEMBERED_COMMITS {
                    if let Some(oldest) = self.committed_order.pop_front() {
                        self.committed.remove(&oldest);
                    }
                }
                self.on_hand = *on_hand;
            }
        }
        self
    }
}

impl Stock {
    fn receive(&self, quantity: i64) -> Result<Vec<StockEvent>, StockError> {
        if !(1..=MAX_MOVEMENT).contains(&quantity) {
            return Err(StockError::InvalidQuantity);
        }
        let on_hand = self
            .on_hand
            .checked_add(quantity)
            .ok_or(StockError::InvalidQuantity)?;
        let available = on_hand - self.reserved();
        Ok(vec![StockEvent::StockReceived {
            quantity,
            on_hand,
            available,
        }])
    }

    fn adjust(&self, delta: i64, reason: &str) -> Result<Vec<StockEvent>, StockError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StockError::ReasonRequired);
        }
        if delta == 0 || delta.abs() > MAX_MOVEMENT {
            return Err(StockError::InvalidQuantity);
        }
        let on_hand = self
            .on_hand
            .checked_add(delta)
            .ok_or(StockError::InvalidQuantity)?;
        let reserved = self.reserved();
        if on_hand < reserved {
            return Err(StockError::AdjustmentBelowReserved {
                on_hand_after: on_hand,
                reserved,
            });
        }
        let available = on_hand - reserved;
        Ok(vec![StockEvent::StockAdjusted {
            delta,
            reason: reason.to_owned(),
            on_hand,
            available,
        }])
    }

    fn reserve(
        &self,
        order_id: Uuid,
        quantity: i64,
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<StockEvent>, StockError> {
        if quantity <= 0 {
            return Err(StockError::InvalidQuantity);
        }
        // A retried checkout or reactor finds its reservation already made (or already paid).
        if self.reservations.contains_key(&order_id) || self.is_committed(order_id) {
            return Ok(vec![]);
        }
        let available = self.available();
        if quantity > available {
            return Err(StockError::InsufficientStock {
                requested: quantity,
                available,
            });
        }
        let available = available - quantity;
        Ok(vec![StockEvent::StockReserved {
            order_id,
            quantity,
            expires_at,
            available,
        }])
    }

    fn release(&self, order_id: Uuid, reason: &str) -> Vec<StockEvent> {
        let Some(reservation) = self.reservation(order_id) else {
            return vec![];
        };
        let available = self.available() + reservation.quantity;
        vec![StockEvent::ReservationReleased {
            order_id,
            quantity: reservation.quantity,
            reason: reason.to_owned(),
            available,
        }]
    }

    /// Committing moves the units out of both `on_hand` and `reserved`, so available stays.
    fn commit(&self, order_id: Uuid) -> Vec<StockEvent> {
        let Some(reservation) = self.reservation(order_id) else {
            return vec![];
        };
        vec![StockEvent::ReservationCommitted {
            order_id,
            quantity: reservation.quantity,
            on_hand: self.on_hand - reservation.quantity,
            available: self.available(),
        }]
    }

    fn give_back(&self, order_id: Uuid, quantity: i64) -> Result<Vec<StockEvent>, StockError> {
        if !(1..=MAX_MOVEMENT).contains(&quantity) {
            return Err(StockError::InvalidQuantity);
        }
        let on_hand = self
            .on_hand
            .checked_add(quantity)
            .ok_or(StockError::InvalidQuantity)?;
        Ok(vec![StockEvent::StockReturned {
            order_id,
            quantity,
            on_hand,
            available: on_hand - self.reserved(),
        }])
    }

    fn release_expired(&self, now: DateTime<Utc>) -> Vec<StockEvent> {
        let mut available = self.available();
        let expired = self
            .reservations
            .iter()
            .filter(|(_, r)| r.expires_at <= now);
        expired
            .map(|(order_id, reservation)| {
                available += reservation.quantity;
                StockEvent::ReservationReleased {
                    order_id: *order_id,
                    quantity: reservation.quantity,
                    reason: EXPIRED_REASON.to_owned(),
                    available,
                }
            })
            .collect()
    }
}
