//! The carts' reads, for the query API: a customer's lines, priced from the catalog.

use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// A cart line with what the catalog knows of its product (`None` while it knows nothing).
#[derive(Debug, Clone)]
pub struct CartLine {
    pub product_id: Uuid,
    pub quantity: i64,
    pub name: Option<String>,
    pub price: Option<i64>,
    pub currency: Option<String>,
    pub available: Option<i64>,
    pub status: Option<String>,
}

/// The lines of `customer`'s cart in the order they were added. A reader of this query also
/// waits for [`crate::slices::catalog::NAME`], whose rows price the lines.
pub async fn lines(
    client: &impl GenericClient,
    customer: Uuid,
) -> Result<Vec<CartLine>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT l.product_id, l.quantity, p.name, p.price, p.currency, p.available, p.status
             FROM rm.cart_lines l
             LEFT JOIN rm.products p ON p.id = l.product_id AND p.status IS NOT NULL
             WHERE l.customer_id = $1
             ORDER BY l.added_at, l.product_id",
            &[&customer],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| CartLine {
            product_id: row.get("product_id"),
            quantity: row.get("quantity"),
            name: row.get("name"),
            price: row.get("price"),
            currency: row.get("currency"),
            available: row.get("available"),
            status: row.get("status"),
        })
        .collect())
}
