//! The given / when / then helper and small fixtures shared by every scenario.

use std::fmt::Debug;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pasar_domain::{Aggregate, replay};
use uuid::Uuid;

/// Past events of one stream.
pub fn given<A: Aggregate>(history: impl IntoIterator<Item = A::Event>) -> Given<A> {
    Given {
        state: replay(history),
    }
}

pub struct Given<A> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    pub fn when(self, command: A::Command) -> Then<A> {
        let outcome = self.state.decide(&command);
        Then {
            state: self.state,
            outcome,
        }
    }
}

pub struct Then<A: Aggregate> {
    state: A,
    outcome: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> Then<A>
where
    A::Event: Debug + PartialEq,
{
    /// Exactly these new events. Returns the state after them, for further checks.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        match self.outcome {
            Ok(events) => {
                assert_eq!(events, expected, "unexpected events");
                events
                    .iter()
                    .fold(self.state, |state, event| state.evolve(event))
            }
            Err(error) => {
                panic!("expected events {expected:?}, but the command was rejected: {error:?}")
            }
        }
    }

    /// Accepted as an idempotent repeat: nothing to append.
    #[track_caller]
    pub fn then_nothing(self) -> A {
        self.then([])
    }

    #[track_caller]
    pub fn then_rejected(self, expected: A::Error) {
        match self.outcome {
            Ok(events) => panic!("expected rejection {expected:?}, but got events {events:?}"),
            Err(error) => assert_eq!(error, expected, "unexpected rejection"),
        }
    }

    /// The rejection, for checks that only look at part of it.
    #[track_caller]
    pub fn error(self) -> A::Error {
        match self.outcome {
            Ok(events) => panic!("expected a rejection, but got events {events:?}"),
            Err(error) => error,
        }
    }

    /// The new events, for checks that only look at part of them.
    #[track_caller]
    pub fn events(self) -> Vec<A::Event> {
        match self.outcome {
            Ok(events) => events,
            Err(error) => panic!("expected events, but the command was rejected: {error:?}"),
        }
    }
}

/// A fixed instant plus some minutes, so scenarios need no clock.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// A readable, deterministic id.
pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}
