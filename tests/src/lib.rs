pub mod bench;
pub mod midtrans_sim;
pub mod rajaongkir_sim;
pub mod soak;
pub mod stack;
