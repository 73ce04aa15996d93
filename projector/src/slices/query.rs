//! What the slices' `queries.rs` share: a `WHERE` builder with numbered parameters. Queries
//! read the live version through the `rm.<table>` views, so a rebuild's swap is invisible to
//! them.

use tokio_postgres::types::ToSql;

/// A SQL `WHERE` under construction, with numbered parameters.
#[derive(Default)]
pub struct Filter {
    clauses: Vec<String>,
    params: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Filter {
    /// Adds a clause; `?` in it stands for the new parameter's placeholder.
    pub fn add(&mut self, clause: &str, value: impl ToSql + Sync + Send + 'static) {
        self.params.push(Box::new(value));
        self.clauses
            .push(clause.replace('?', &format!("${}", self.params.len())));
    }

    /// Adds a clause over two parameters, written `?1` and `?2` in `clause`.
    pub fn add_pair(
        &mut self,
        clause: &str,
        first: impl ToSql + Sync + Send + 'static,
        second: impl ToSql + Sync + Send + 'static,
    ) {
        let n = self.params.len();
        self.params.push(Box::new(first));
        self.params.push(Box::new(second));
        self.clauses.push(
            clause
                .replace("?1", &format!("${}", n + 1))
                .replace("?2", &format!("${}", n + 2)),
        );
    }

    /// Adds a clause over three parameters, written `?1`, `?2` and `?3` in `clause`.
    pub fn add_triple(
        &mut self,
        clause: &str,
        first: impl ToSql + Sync + Send + 'static,
        second: impl ToSql + Sync + Send + 'static,
        third: impl ToSql + Sync + Send + 'static,
    ) {
        let n = self.params.len();
        self.params.push(Box::new(first));
        self.params.push(Box::new(second));
        self.params.push(Box::new(third));
        self.clauses.push(
            clause
                .replace("?1", &format!("${}", n + 1))
                .replace("?2", &format!("${}", n + 2))
                .replace("?3", &format!("${}", n + 3)),
        );
    }

    /// Adds a clause with no parameter.
    pub fn add_fixed(&mut self, clause: &str) {
        self.clauses.push(clause.to_owned());
    }

    /// ` WHERE a AND b` (empty when there is no clause).
    pub fn where_sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The placeholder of a new parameter `value`, for a trailing `LIMIT`.
    pub fn push_limit(&mut self, value: i64) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_in_order() {
        let mut filter = Filter::default();
        filter.add("a = ?", 1_i64);
        filter.add_pair("(b, c) < (?1, ?2)", 2_i64, 3_i64);
        let limit = filter.push_limit(5);
        assert_eq!(filter.where_sql(), " WHERE a = $1 AND (b, c) < ($2, $3)");
        assert_eq!(limit, "$4");
    }
}
