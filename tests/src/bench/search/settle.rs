//! Before the index is timed: the command API's reactors read the generated log too.

use std::time::{Duration, Instant};

use crate::stack::Stack;

/// Waits until no processor has moved its checkpoint for a second (the projector is
/// stopped, so these are the command API's reactors catching up with the generated log).
pub(super) async fn settle(stack: &Stack) -> anyhow::Result<()> {
    let (client, connection) =
        tokio_postgres::connect(&stack.database_url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let started = Instant::now();
    loop {
        let row = client
            .query_one(
                "SELECT coalesce(extract(epoch FROM now() - max(updated_at))::float8, 1e9)
                 FROM public.processor_checkpoints",
                &[],
            )
            .await?;
        if row.get::<_, f64>(0) >= 1.0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(300),
            "the command API's processors never caught up"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "the command API's processors caught up in {:.1?}",
        started.elapsed()
    );
    Ok(())
}
