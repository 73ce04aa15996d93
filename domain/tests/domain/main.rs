//! Domain rules as given / when / then scenarios, one module per aggregate, plus property
//! tests over random command sequences.

mod address_book;
mod cart;
mod category;
mod customer;
mod import;
mod late_settlement;
mod order;
mod payment;
mod product;
mod product_images;
mod profile;
mod properties;
mod review;
mod stock;
mod store_profile;
mod support;
mod suspension;
mod wallet;
mod wishlist;
