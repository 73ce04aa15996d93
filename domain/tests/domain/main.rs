//! Domain rules as given / when / then scenarios, one module per aggregate, plus property
//! tests over random command sequences.

mod cart;
mod customer;
mod import;
mod late_settlement;
mod order;
mod payment;
mod product;
mod properties;
mod stock;
mod support;
