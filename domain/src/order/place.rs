//! Placing an order: the first event of `order-{id}`, after checking each line's arithmetic.

use pasar_events::types::{Money, OrderEvent, OrderLine};

use super::{OrderCommand, OrderError};

/// The first event of an order, or `NotPlaced` for any other command on an empty stream.
pub(super) fn place(command: &OrderCommand) -> Result<OrderEvent, OrderError> {
    let OrderCommand::Place {
        order_id,
        checkout_id,
        payment_id,
        buyer_id,
        seller_id,
        lines,
        shipping_cost,
        shipping_address,
        now,
        expires_at,
    } = command
    else {
        return Err(OrderError::NotPlaced);
    };
    let subtotal = subtotal_of(lines)?;
    if shipping_cost.amount < 0 {
        return Err(OrderError::InvalidLine);
    }
    let total = subtotal.checked_add(*shipping_cost).map_err(money_error)?;
    Ok(OrderEvent::OrderPlaced {
        order_id: *order_id,
        checkout_id: *checkout_id,
        payment_id: *payment_id,
        buyer_id: *buyer_id,
        seller_id: *seller_id,
        lines: lines.clone(),
        subtotal,
        shipping_cost: *shipping_cost,
        total,
        shipping_address: shipping_address.clone(),
        placed_at: *now,
        expires_at: *expires_at,
    })
}

/// Sum of the line totals, after checking each line's arithmetic.
pub fn subtotal_of(lines: &[OrderLine]) -> Result<Money, OrderError> {
    let first = lines.first().ok_or(OrderError::NoLines)?;
    lines
        .iter()
        .try_fold(Money::zero(first.unit_price.currency), |sum, line| {
            if line.quantity < 1 || line.unit_price.amount < 0 {
                return Err(OrderError::InvalidLine);
            }
            let expected = line
                .unit_price
                .checked_mul(line.quantity)
                .map_err(money_error)?;
            if expected != line.line_total {
                return Err(OrderError::InvalidLine);
            }
            sum.checked_add(line.line_total).map_err(money_error)
        })
}

fn money_error(error: pasar_events::types::MoneyError) -> OrderError {
    match error {
        pasar_events::types::MoneyError::Overflow => OrderError::MoneyOverflow,
        pasar_events::types::MoneyError::CurrencyMismatch => OrderError::InvalidLine,
    }
}
