pub mod bench;
pub mod midtrans_sim;
pub mod rajaongkir_sim;
pub mod signal;
pub mod soak;
pub mod stack;
