//! The one migration mechanism for every schema in Pasar's database: the event store, the
//! processor runtime's checkpoints, the read models, the command API's own tables.
//!
//! Each owner registers a [`Migrations`] value: numbered plain-SQL steps embedded in the
//! binary with `include_str!` (`("001_event_store", include_str!("../migrations/001_event_store.sql"))`).
//! [`migrate`] applies the steps not yet recorded in one history table,
//! `public.pasar_migrations` (owner, version), in order, in one transaction per call, under
//! one advisory lock, so several processes may start at once. A step whose text changed after
//! it was applied is refused ([`MigrateError::Edited`]): never edit an applied migration; add
//! the next number instead.

use deadpool_postgres::Pool;

/// Serialises migrators across processes (the `0x7061_7361_72…` "pasar" family of keys).
const MIGRATION_LOCK: i64 = 0x7061_7361_7200_0001;

/// One owner's numbered SQL steps, in the order they run. Append only.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    /// Who owns these tables (`event_store`, `runtime`, `read_models`, `command_api`): the
    /// history is kept per owner, so owners number their steps independently.
    pub owner: &'static str,
    /// `(name, sql)`; the name starts with the step's number (`001_event_store`), which must
    /// increase from one step to the next.
    pub steps: &'static [(&'static str, &'static str)],
}

/// Why migrating failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("migrating: {0}")]
    Db(#[from] tokio_postgres::Error),
    #[error("migrating, getting a connection: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    /// A step's name does not start with a number greater than the previous step's.
    #[error("migration {owner}/{name}: names must start with an increasing number")]
    BadName { owner: &'static str, name: String },
    /// An applied step's SQL differs from what this binary carries.
    #[error("migration {owner}/{name} was edited after it was applied; add a new step instead")]
    Edited { owner: &'static str, name: String },
}

const HISTORY: &str = "
    SET LOCAL client_min_messages = warning;
    CREATE TABLE IF NOT EXISTS public.pasar_migrations (
        owner      text NOT NULL,
        version    integer NOT NULL,
        name       text NOT NULL,
        checksum   bigint NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner, version)
    );";

/// Applies every step of `sets` not yet recorded, in the order given (owners first to last,
/// then by number), in one transaction under an advisory lock. Safe to call on every start and
/// from several processes at once.
pub async fn migrate(pool: &Pool, sets: &[Migrations]) -> Result<(), MigrateError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(HISTORY).await?;
    for set in sets {
        for (version, name, sql) in numbered(set)? {
            let checksum = checksum(sql);
            let applied = tx
                .query_opt(
                    "SELECT checksum FROM public.pasar_migrations WHERE owner = $1 AND version = $2",
                    &[&set.owner, &version],
                )
                .await?;
            match applied {
                Some(row) if row.get::<_, i64>(0) == checksum => continue,
                Some(_) => {
                    return Err(MigrateError::Edited {
                        owner: set.owner,
                        name: name.to_owned(),
                    });
                }
                None => {}
            }
            tx.batch_execute(sql).await?;
            tx.execute(
                "INSERT INTO public.pasar_migrations (owner, version, name, checksum) VALUES ($1, $2, $3, $4)",
                &[&set.owner, &version, &name, &checksum],
            )
            .await?;
            tracing::info!(owner = set.owner, name, "applied migration");
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The steps of `set` with their numbers, checked to increase.
fn numbered(set: &Migrations) -> Result<Vec<(i32, &'static str, &'static str)>, MigrateError> {
    let mut previous = 0;
    let mut out = Vec::with_capacity(set.steps.len());
    for &(name, sql) in set.steps {
        let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
        let version = digits.parse::<i32>().ok().filter(|v| *v > previous);
        let Some(version) = version else {
            return Err(MigrateError::BadName {
                owner: set.owner,
                name: name.to_owned(),
            });
        };
        previous = version;
        out.push((version, name, sql));
    }
    Ok(out)
}

/// FNV-1a over the SQL text: stable across builds and platforms (unlike `DefaultHasher`).
fn checksum(sql: &str) -> i64 {
    let hash = sql.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    i64::from_ne_bytes(hash.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_numbers_must_increase() {
        let good = Migrations {
            owner: "t",
            steps: &[("001_a", ""), ("002_b", ""), ("010_c", "")],
        };
        let versions: Vec<i32> = numbered(&good).unwrap().iter().map(|s| s.0).collect();
        assert_eq!(versions, [1, 2, 10]);
        for steps in [
            &[("002_a", ""), ("001_b", "")][..],
            &[("a", "")],
            &[("001_a", ""), ("001_b", "")],
        ] {
            let set = Migrations { owner: "t", steps };
            assert!(
                matches!(numbered(&set), Err(MigrateError::BadName { .. })),
                "{steps:?}"
            );
        }
    }

    #[test]
    fn the_checksum_sees_an_edit() {
        assert_eq!(checksum("CREATE TABLE a ()"), checksum("CREATE TABLE a ()"));
        assert_ne!(checksum("CREATE TABLE a ()"), checksum("CREATE TABLE b ()"));
    }
}
