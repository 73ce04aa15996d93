//! A buyer's wishlist (`wishlist-{customer}`). Adding a product records its price and
//! available units at that moment, read from the product and stock streams, as the baseline of
//! the wishlist's "price dropped" and "back in stock" flags.

use chrono::Utc;
use pasar_domain::product::Product;
use pasar_domain::stock::Stock;
use pasar_domain::wishlist::{Wishlist, WishlistCommand};
use pasar_events::types::{Role, streams};
use uuid::Uuid;

use super::exec::{Outcome, execute, load};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule};

/// Adds a listed, not discontinued product to the actor's wishlist (a product already there
/// keeps its first baseline).
pub async fn add(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    key: Option<&Idempotency>,
) -> Result<Outcome<Wishlist>, AppError> {
    if actor.role != Role::Buyer {
        return Err(Rule::NotABuyer.into());
    }
    let store = state.store.as_ref();
    let product = load::<Product>(store, &streams::product(product_id))
        .await?
        .state;
    if !product.listed {
        return Err(Rule::ProductNotFound.into());
    }
    if !product.is_on_sale() {
        return Err(Rule::ProductDiscontinued.into());
    }
    let stock = load::<Stock>(store, &streams::stock(product_id))
        .await?
        .state;
    let command = WishlistCommand::Add {
        product_id,
        price: product.price,
        available: stock.available(),
        now: Utc::now(),
    };
    run(state, actor, "wishlist-add", command, key).await
}

/// Removes a product from the actor's wishlist (nothing happens if it is not there).
pub async fn remove(
    state: &AppState,
    actor: Actor,
    product_id: Uuid,
    key: Option<&Idempotency>,
) -> Result<Outcome<Wishlist>, AppError> {
    if actor.role != Role::Buyer {
        return Err(Rule::NotABuyer.into());
    }
    let command = WishlistCommand::Remove {
        product_id,
        now: Utc::now(),
    };
    run(state, actor, "wishlist-remove", command, key).await
}

async fn run(
    state: &AppState,
    actor: Actor,
    action: &str,
    command: WishlistCommand,
    key: Option<&Idempotency>,
) -> Result<Outcome<Wishlist>, AppError> {
    let ids = idempotency::event_ids(state, action, actor.id, key).await?;
    let stream = streams::wishlist(actor.id);
    execute::<Wishlist>(&state.store, &stream, &command, ids, &actor.metadata()).await
}
