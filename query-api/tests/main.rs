//! Query API integration tests: the real service on port 0, a fresh PostgreSQL database per
//! test, events appended through the event store and projected by the real projector.

mod cart;
mod consistency;
mod openapi;
mod ops;
mod orders;
mod products;
mod projections;
mod support;
