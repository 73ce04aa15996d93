//! The JetStream side: the stream's configuration and its last message.

use std::time::Duration;

use async_nats::jetstream::context::GetStreamErrorKind;
use async_nats::jetstream::stream::{self, LastRawMessageErrorKind};
use async_nats::jetstream::{self, ErrorCode, message::StreamMessage};

use super::{PublisherError, jetstream_error};
use crate::announce::CHECKPOINT_SUBJECT_PREFIX;

/// At least this long, so a publisher restarted within it has every repeat dropped by
/// `Nats-Msg-Id` alone (the JetStream default is two minutes).
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(600);

/// What the publisher knows of its stream.
#[derive(Debug, Clone)]
pub struct StreamState {
    /// Sequence of the stream's last message (0 when it has none, or does not exist).
    pub last_sequence: u64,
    /// Its subject filters; `None` while the stream does not exist.
    pub subjects: Option<Vec<String>>,
    /// The stream's last message, if it has one that limits have not removed.
    pub last_message: Option<StreamMessage>,
}

/// Reads the stream's state, widening its duplicate window if it is shorter than
/// [`DUPLICATE_WINDOW`]. A missing stream is not an error: it is created with the first batch.
pub async fn inspect(
    jetstream: &jetstream::Context,
    name: &str,
) -> Result<StreamState, PublisherError> {
    let stream = match jetstream.get_stream(name).await {
        Ok(stream) => stream,
        Err(e) if stream_missing(&e.kind()) => {
            return Ok(StreamState {
                last_sequence: 0,
                subjects: None,
                last_message: None,
            });
        }
        Err(e) => return Err(jetstream_error("looking up the stream")(e)),
    };
    let info = stream.cached_info().clone();
    refuse_checkpoint_subjects(name, &info.config.subjects)?;
    if info.config.duplicate_window < DUPLICATE_WINDOW {
        let config = stream::Config {
            duplicate_window: DUPLICATE_WINDOW,
            ..info.config.clone()
        };
        jetstream
            .update_stream(config)
            .await
            .map_err(jetstream_error("widening the duplicate window"))?;
    }
    let last_sequence = info.state.last_sequence;
    let last_message = if last_sequence == 0 {
        None
    } else {
        match stream.get_raw_message(last_sequence).await {
            Ok(message) => Some(message),
            // Removed by a limit (max age, max messages) or by hand: nothing to reconcile with.
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => None,
            Err(e) => return Err(jetstream_error("reading the stream's last message")(e)),
        }
    };
    Ok(StreamState {
        last_sequence,
        subjects: Some(info.config.subjects),
        last_message,
    })
}

fn stream_missing(kind: &GetStreamErrorKind) -> bool {
    matches!(kind, GetStreamErrorKind::JetStream(e) if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

/// Whether a failed delete found no stream to delete.
pub fn delete_missing(kind: &async_nats::jetstream::context::DeleteStreamErrorKind) -> bool {
    matches!(kind, async_nats::jetstream::context::DeleteStreamErrorKind::JetStream(e)
        if e.error_code() == ErrorCode::STREAM_NOT_FOUND)
}

/// Makes sure the stream captures every subject in `needed`, creating the stream or adding
/// subject filters. Returns the stream's subject filters afterwards.
pub async fn cover(
    jetstream: &jetstream::Context,
    name: &str,
    state: &StreamState,
    needed: &[String],
    replicas: usize,
) -> Result<Vec<String>, PublisherError> {
    let mut subjects = state.subjects.clone().unwrap_or_default();
    let missing: Vec<&String> = needed
        .iter()
        .filter(|s| !subjects.iter().any(|filter| covers(filter, s)))
        .collect();
    if missing.is_empty() {
        return Ok(subjects);
    }
    subjects.extend(missing.into_iter().cloned());
    if state.subjects.is_none() {
        create(jetstream, name, &subjects, replicas).await?;
    } else {
        add_subjects(jetstream, name, &subjects).await?;
    }
    Ok(subjects)
}

/// Creates the integration-event stream capturing `subjects`.
async fn create(
    jetstream: &jetstream::Context,
    name: &str,
    subjects: &[String],
    replicas: usize,
) -> Result<(), PublisherError> {
    jetstream
        .create_stream(stream::Config {
            name: name.to_owned(),
            description: Some(
                "Pasar integration events: every event of the log, in log order, published \
                 by the projector (one subject per category and event type)"
                    .into(),
            ),
            subjects: subjects.to_vec(),
            duplicate_window: DUPLICATE_WINDOW,
            num_replicas: replicas,
            ..Default::default()
        })
        .await
        .map_err(jetstream_error("creating the stream"))?;
    tracing::info!(
        stream = name,
        ?subjects,
        "created the integration-event stream"
    );
    Ok(())
}

/// Sets the existing stream's subject filters to `subjects`, the rest of its configuration
/// as it is.
async fn add_subjects(
    jetstream: &jetstream::Context,
    name: &str,
    subjects: &[String],
) -> Result<(), PublisherError> {
    let mut existing = jetstream
        .get_stream(name)
        .await
        .map_err(jetstream_error("looking up the stream"))?;
    let mut config = existing
        .info()
        .await
        .map_err(jetstream_error("reading the stream's configuration"))?
        .config
        .clone();
    config.subjects = subjects.to_vec();
    jetstream
        .update_stream(config)
        .await
        .map_err(jetstream_error("adding subjects to the stream"))?;
    tracing::info!(
        stream = name,
        ?subjects,
        "integration-event stream covers new subjects"
    );
    Ok(())
}

/// The checkpoint announcements are core NATS messages; a stream capturing them would store
/// every one of them between the events and so break the publisher's sequence checks.
fn refuse_checkpoint_subjects(name: &str, subjects: &[String]) -> Result<(), PublisherError> {
    let announcement = format!("{CHECKPOINT_SUBJECT_PREFIX}.any");
    match subjects.iter().find(|filter| covers(filter, &announcement)) {
        Some(filter) => Err(PublisherError::ForeignStream {
            stream: name.to_owned(),
            detail: format!(
                "its subject filter {filter} also captures the checkpoint announcements \
                 ({CHECKPOINT_SUBJECT_PREFIX}.*); give it one filter per category instead"
            ),
        }),
        None => Ok(()),
    }
}

/// Whether subject filter `filter` matches every subject `subject` matches (`subject` may
/// itself hold `*` and `>` wildcards).
pub fn covers(filter: &str, subject: &str) -> bool {
    let mut filter = filter.split('.');
    let mut subject = subject.split('.');
    loop {
        match (filter.next(), subject.next()) {
            (None, None) => return true,
            (Some(">"), Some(_)) => return true,
            (Some(_), Some(">")) => return false,
            (Some("*"), Some(_)) => {}
            (Some(f), Some(s)) if f == s && s != "*" => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn a_filter_covers_the_subjects_it_matches() {
        assert!(covers("pasar.order.*", "pasar.order.*"));
        assert!(covers("pasar.>", "pasar.order.*"));
        assert!(covers("pasar.*.*", "pasar.order.OrderPlaced"));
        assert!(covers("pasar.order.OrderPlaced", "pasar.order.OrderPlaced"));
    }

    #[test]
    fn a_filter_does_not_cover_wider_or_other_subjects() {
        assert!(!covers("pasar.order.OrderPlaced", "pasar.order.*"));
        assert!(!covers("pasar.order.*", "pasar.cart.*"));
        assert!(!covers("pasar.order.*", "pasar.order.>"));
        assert!(!covers("pasar.order", "pasar.order.*"));
        assert!(!covers("pasar.>", "pasar"));
    }
}
