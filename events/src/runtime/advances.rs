//! Checkpoint moves over batches a processor takes nothing from, sent together.
//!
//! The processors of one runtime wake together (they share one tail, `tail.rs`), and most
//! batches hold nothing for most of them: each would send its own UPDATE for the same stretch
//! of the log. One task takes every move waiting and sends them as one statement (the same
//! compare-and-set per row as [`checkpoint::advance`]); a move that statement did not make (the
//! row had moved, or the statement failed) is made again alone by its processor, which then
//! gets exactly the answer [`checkpoint::advance`] gives.

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, oneshot};

use super::checkpoint;
use super::runner::RuntimeError;
use crate::Position;

/// Most moves in one statement.
const MOST: usize = 128;

const MOVE_ALL: &str = "UPDATE public.processor_checkpoints AS c
    SET txid = m.txid, global = m.global, updated_at = now()
    FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush_wait,
         unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
             AS m(name, old_txid, old_global, txid, global)
    WHERE c.name = m.name AND c.txid = m.old_txid AND c.global = m.old_global
    RETURNING c.name";

struct Move {
    name: String,
    expected: Position,
    new: Position,
    /// `true` once moved; `false`: make the move alone.
    reply: oneshot::Sender<bool>,
}

/// The queue of moves; see the module documentation.
pub(super) struct Advances {
    queue: mpsc::UnboundedSender<Move>,
    pool: Pool,
}

impl Advances {
    /// Starts the task that sends the moves; it ends once this queue is dropped.
    pub(super) fn start(pool: Pool) -> Advances {
        let (queue, moves) = mpsc::unbounded_channel();
        tokio::spawn(send_moves(pool.clone(), moves));
        Advances { queue, pool }
    }

    /// Moves `name` from `expected` to `new` as [`checkpoint::advance`] does, with the moves of
    /// the other processors waiting at the same time.
    pub(super) async fn advance(
        &self,
        name: &str,
        expected: Position,
        new: Position,
    ) -> Result<(), RuntimeError> {
        let (reply, moved) = oneshot::channel();
        let queued = self.queue.send(Move {
            name: name.to_owned(),
            expected,
            new,
            reply,
        });
        if queued.is_ok() && moved.await == Ok(true) {
            return Ok(());
        }
        let client = self.pool.get().await?;
        Ok(checkpoint::advance(&client, name, expected, new).await?)
    }
}

async fn send_moves(pool: Pool, mut moves: mpsc::UnboundedReceiver<Move>) {
    let mut waiting = Vec::with_capacity(MOST);
    while moves.recv_many(&mut waiting, MOST).await > 0 {
        let moved = send(&pool, &waiting).await;
        for m in waiting.drain(..) {
            let done = moved.as_ref().is_some_and(|names| names.contains(&m.name));
            let _ = m.reply.send(done);
        }
    }
}

/// The names moved, or `None` when the statement failed (each move is then made alone).
async fn send(pool: &Pool, moves: &[Move]) -> Option<Vec<String>> {
    let mut columns: [Vec<i64>; 4] = Default::default();
    let mut names = Vec::with_capacity(moves.len());
    for m in moves {
        let (Ok((old_txid, old_global)), Ok((txid, global))) =
            (checkpoint::columns(m.expected), checkpoint::columns(m.new))
        else {
            continue;
        };
        names.push(m.name.as_str());
        for (column, value) in columns.iter_mut().zip([old_txid, old_global, txid, global]) {
            column.push(value);
        }
    }
    let client = pool.get().await.ok()?;
    let statement = client.prepare_cached(MOVE_ALL).await.ok()?;
    let [old_txid, old_global, txid, global] = &columns;
    let rows = client
        .query(&statement, &[&names, old_txid, old_global, txid, global])
        .await
        .map_err(|e| tracing::debug!(error = %e, "coalesced checkpoint moves failed"))
        .ok()?;
    Some(rows.iter().map(|r| r.get::<_, String>("name")).collect())
}
