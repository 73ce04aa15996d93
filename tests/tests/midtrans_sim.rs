//! Tests of the Midtrans simulator against `shared/reference/midtrans.md`.

mod midtrans_sim {
    mod core_api;
    mod notifications;
    mod snap;
    mod support;
}
