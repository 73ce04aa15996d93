//! Tests of the RajaOngkir simulator against `shared/reference/rajaongkir.md`, and of the
//! command API's RajaOngkir client against the simulator.

mod rajaongkir_sim {
    mod auth;
    mod client;
    mod controls;
    mod cost;
    mod destinations;
    mod support;
}
