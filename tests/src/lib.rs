pub mod bench;
pub mod demo;
pub mod midtrans_sim;
pub mod pg_cluster;
pub mod rajaongkir_sim;
pub mod soak;
pub mod stack;
