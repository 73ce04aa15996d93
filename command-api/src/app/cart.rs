//! The buyer's cart (`cart-{customer}`). Lines hold quantities only; prices are taken from the
//! product streams at checkout, never from the client.

use pasar_domain::cart::{Cart, CartCommand};
use pasar_domain::product::Product;
use pasar_events::types::streams;
use uuid::Uuid;

use super::exec::{Outcome, execute};
use super::idempotency::{self, Idempotency};
use super::reads::load_shared;
use super::{Actor, AppError, AppState, Rule};

/// The product's stream is read with every other request checking it at the moment (the
/// buyers of a flash sale filling their carts), each read starting after its callers asked.
async fn ensure_on_sale(state: &AppState, product_id: Uuid) -> Result<(), AppError> {
    let product = load_shared::<Product>(&state.store, &streams::product(product_id))
        .await?
        .state;
    if !product.listed {
        return Err(Rule::ProductNotFound.into());
    }
    if !product.is_on_sale() {
        return Err(Rule::ProductDiscontinued.into());
    }
    Ok(())
}

/// Runs a cart command for the actor's own cart. Adding or raising a line needs the product
/// on sale. An idempotency key makes a retried add land once.
pub async fn change(
    state: &AppState,
    actor: Actor,
    command: CartCommand,
    key: Option<&Idempotency>,
) -> Result<Outcome<Cart>, AppError> {
    match &command {
        CartCommand::AddItem { product_id, .. } => ensure_on_sale(state, *product_id).await?,
        CartCommand::SetQuantity {
            product_id,
            quantity,
        } if *quantity > 0 => ensure_on_sale(state, *product_id).await?,
        _ => {}
    }
    let ids = idempotency::event_ids(state, "cart", actor.id, key).await?;
    let stream = streams::cart(actor.id);
    execute::<Cart>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
