//! Projector integration tests against a real PostgreSQL (a fresh database per test).

mod carts;
mod catalog;
mod catalog_images;
mod checkpoints;
mod crash;
mod migration;
mod operator;
mod orders;
mod publisher;
mod rebuild;
mod sellers;
mod service;
mod support;
mod wallets;
