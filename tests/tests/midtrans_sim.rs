//! Tests of the Midtrans simulator against `shared/reference/midtrans.md`.

mod midtrans_sim {
    mod client;
    mod core_api;
    mod expiry;
    mod notifications;
    mod snap;
    mod support;
}
