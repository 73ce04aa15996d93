//! The admins' list of accounts, for the query API: search by email or name, filter by role
//! and state, newest first with keyset pagination.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use uuid::Uuid;

use crate::slices::query::Filter;

/// One account as admins see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerRow {
    pub id: Uuid,
    #[schema(example = "ani@example.com")]
    pub email: String,
    #[schema(example = "Ani Lestari")]
    pub full_name: String,
    /// `buyer`, `seller` or `admin`.
    #[schema(example = "buyer")]
    pub role: String,
    /// `active` or `suspended`.
    #[schema(example = "active")]
    pub state: String,
    /// Why an admin suspended it (`null` when active).
    pub suspension_reason: Option<String>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub registered_at: DateTime<Utc>,
    /// The registration's log position, the list's order (not served).
    #[serde(skip)]
    pub registered: (i64, i64),
}

/// What the list is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Part of the email or the full name, any case.
    pub text: Option<String>,
    pub role: Option<String>,
    pub state: Option<String>,
    /// Rows registered before this position (the cursor).
    pub before: Option<(i64, i64)>,
}

/// Up to `limit` accounts matching `filter`, newest first.
pub async fn list(
    client: &impl GenericClient,
    filter: &CustomerFilter,
    limit: i64,
) -> Result<Vec<CustomerRow>, tokio_postgres::Error> {
    let mut sql = Filter::default();
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(text));
        sql.add_pair(
            "(email ILIKE ?1 ESCAPE '\\' OR full_name ILIKE ?2 ESCAPE '\\')",
            pattern.clone(),
            pattern,
        );
    }
    if let Some(role) = &filter.role {
        sql.add("role = ?", role.clone());
    }
    if let Some(state) = &filter.state {
        sql.add("state = ?", state.clone());
    }
    if let Some((txid, global)) = filter.before {
        sql.add_pair(
            "(registered_txid, registered_global) < (?1, ?2)",
            txid,
            global,
        );
    }
    let limit_param = sql.push_limit(limit);
    let text = format!(
        "SELECT id, email, full_name, role, state, suspension_reason, suspended_at,
                registered_at, registered_txid, registered_global
         FROM rm.customers{}
         ORDER BY registered_txid DESC, registered_global DESC LIMIT {limit_param}",
        sql.where_sql()
    );
    let rows = client.query(&text, &sql.params()).await?;
    Ok(rows
        .iter()
        .map(|row| CustomerRow {
            id: row.get("id"),
            email: row.get("email"),
            full_name: row.get("full_name"),
            role: row.get("role"),
            state: row.get("state"),
            suspension_reason: row.get("suspension_reason"),
            suspended_at: row.get("suspended_at"),
            registered_at: row.get("registered_at"),
            registered: (row.get("registered_txid"), row.get("registered_global")),
        })
        .collect())
}

/// `text` matched literally by `LIKE` (its `%`, `_` and `\` escaped).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(super::escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
