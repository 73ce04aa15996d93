//! The category tree's reads, for the query API: the whole tree with product counts, a
//! category's path from the root, and the set of a category and its subcategories (which the
//! product listing and search filter by).

use std::collections::HashMap;

use deadpool_postgres::GenericClient;
use serde::Serialize;
use uuid::Uuid;

/// A category with its subcategories. `products` counts the active products in it and in
/// every subcategory below it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    #[schema(example = "Kopi")]
    pub name: String,
    #[schema(example = "kopi")]
    pub slug: String,
    pub retired: bool,
    /// Active products here and in every subcategory.
    #[schema(example = 12)]
    pub products: i64,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

/// A link of a category's path, root first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRef {
    pub id: Uuid,
    #[schema(example = "Kopi")]
    pub name: String,
    #[schema(example = "kopi")]
    pub slug: String,
}

/// The tree, roots first, siblings by name. Retired categories only with `include_retired`
/// (a retired category's active subcategories are impossible: retiring needs none).
pub async fn tree(
    client: &impl GenericClient,
    include_retired: bool,
) -> Result<Vec<CategoryNode>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT c.id, c.parent_id, c.name, c.slug, c.retired, COALESCE(p.products, 0) AS products
             FROM rm.categories c
             LEFT JOIN (SELECT category_id, count(*) AS products FROM rm.products
                        WHERE status = 'active' AND NOT seller_hidden AND category_id IS NOT NULL
                        GROUP BY category_id) p ON p.category_id = c.id
             WHERE $1 OR NOT c.retired
             ORDER BY lower(c.name), c.id",
            &[&include_retired],
        )
        .await?;
    let nodes: Vec<CategoryNode> = rows
        .iter()
        .map(|row| CategoryNode {
            id: row.get("id"),
            parent_id: row.get("parent_id"),
            name: row.get("name"),
            slug: row.get("slug"),
            retired: row.get("retired"),
            products: row.get("products"),
            children: Vec::new(),
        })
        .collect();
    Ok(assemble(nodes))
}

/// Builds the tree from flat nodes (in display order) and sums product counts upwards. A node
/// whose parent is not among `nodes` becomes a root.
fn assemble(nodes: Vec<CategoryNode>) -> Vec<CategoryNode> {
    let present: std::collections::HashSet<Uuid> = nodes.iter().map(|n| n.id).collect();
    let mut children: HashMap<Option<Uuid>, Vec<CategoryNode>> = HashMap::new();
    for node in nodes {
        let parent = node.parent_id.filter(|p| present.contains(p));
        children.entry(parent).or_default().push(node);
    }
    fn build(
        parent: Option<Uuid>,
        children: &mut HashMap<Option<Uuid>, Vec<CategoryNode>>,
        depth: usize,
    ) -> Vec<CategoryNode> {
        let mut level = children.remove(&parent).unwrap_or_default();
        // The domain bounds the depth; the bound here only guards against a corrupt table.
        if depth < 64 {
            for node in &mut level {
                node.children = build(Some(node.id), children, depth + 1);
                node.products += node.children.iter().map(|c| c.products).sum::<i64>();
            }
        }
        level
    }
    build(None, &mut children, 0)
}

/// The category's path, root first, ending with the category; empty if unknown.
pub async fn path(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Vec<CategoryRef>, tokio_postgres::Error> {
    // Read with every product detail: prepared once per connection.
    let statement = client
        .prepare_cached(
            "WITH RECURSIVE up(id, parent_id, name, slug, depth) AS (
                 SELECT id, parent_id, name, slug, 0 FROM rm.categories WHERE id = $1
                 UNION ALL
                 SELECT c.id, c.parent_id, c.name, c.slug, up.depth + 1
                 FROM rm.categories c JOIN up ON c.id = up.parent_id
                 WHERE up.depth < 64)
             SELECT id, name, slug FROM up ORDER BY depth DESC",
        )
        .await?;
    let rows = client.query(&statement, &[&id]).await?;
    Ok(rows
        .iter()
        .map(|row| CategoryRef {
            id: row.get("id"),
            name: row.get("name"),
            slug: row.get("slug"),
        })
        .collect())
}

/// Rows of `sub(id)`: the category `$1` and every subcategory below it.
const SUBTREE: &str = "WITH RECURSIVE sub(id, depth) AS (
         SELECT $1::uuid, 0
         UNION ALL
         SELECT c.id, sub.depth + 1 FROM rm.categories c JOIN sub ON c.parent_id = sub.id
         WHERE sub.depth < 64)
     SELECT id FROM sub";

/// The `WHERE` clause (one `?` for the category id) that keeps rows whose `category_id` is
/// the category or one of its subcategories.
pub const IN_SUBTREE: &str = "category_id IN (WITH RECURSIVE sub(id, depth) AS (
         SELECT ?::uuid, 0
         UNION ALL
         SELECT c.id, sub.depth + 1 FROM rm.categories c JOIN sub ON c.parent_id = sub.id
         WHERE sub.depth < 64)
     SELECT id FROM sub)";

/// The category and all its subcategories' ids (the category itself even if unknown).
pub async fn subtree(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<Vec<Uuid>, tokio_postgres::Error> {
    let rows = client.query(SUBTREE, &[&id]).await?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Names of the given categories, for facets.
pub async fn names(
    client: &impl GenericClient,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT id, name FROM rm.categories WHERE id = ANY($1)",
            &[&ids],
        )
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

/// Every active category's name, for search-as-you-type.
pub async fn active_names(
    client: &impl GenericClient,
) -> Result<HashMap<Uuid, String>, tokio_postgres::Error> {
    let rows = client
        .query("SELECT id, name FROM rm.categories WHERE NOT retired", &[])
        .await?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u128, parent: Option<u128>, products: i64) -> CategoryNode {
        CategoryNode {
            id: Uuid::from_u128(id),
            parent_id: parent.map(Uuid::from_u128),
            name: format!("c{id}"),
            slug: format!("c{id}"),
            retired: false,
            products,
            children: Vec::new(),
        }
    }

    #[test]
    fn counts_add_up_the_tree_and_orphans_become_roots() {
        let tree = assemble(vec![
            node(1, None, 1),
            node(2, Some(1), 2),
            node(3, Some(2), 4),
            node(4, Some(99), 8),
        ]);
        assert_eq!(tree.len(), 2);
        assert_eq!(tree[0].products, 7);
        assert_eq!(tree[0].children[0].products, 6);
        assert_eq!(tree[0].children[0].children[0].id, Uuid::from_u128(3));
        assert_eq!(tree[1].id, Uuid::from_u128(4));
    }
}
