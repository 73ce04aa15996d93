//! The buyer's cart (`cart-{customer}`). Lines hold quantities only; prices are taken from the
//! product streams at checkout, never from the client.

use pasar_domain::cart::{Cart, CartCommand};
use pasar_domain::product::Product;
use pasar_events::types::streams;
use uuid::Uuid;

use super::exec::{Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule};

async fn ensure_on_sale(state: &AppState, product_id: Uuid) -> Result<(), AppError> {
    let product = load::<Product>(state.store.as_ref(), &streams::product(product_id))
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
