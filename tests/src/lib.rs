pub mod midtrans_sim;
pub mod stack;
