//! Projector integration tests against a real PostgreSQL (a fresh database per test).

mod carts;
mod catalog;
mod checkpoints;
mod orders;
mod publisher;
mod service;
mod support;
