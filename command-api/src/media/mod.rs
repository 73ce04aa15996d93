//! Product images: what an upload may be ([`inspect`]: JPEG, PNG or WebP judged by their
//! bytes, fully decoded within limits, re-encoded without metadata), their thumbnails
//! ([`resize`]), and the object store they are written to ([`Media`], content-addressed keys
//! from `pasar_service::media`).
//!
//! Decoding and encoding are CPU work: callers run them in `spawn_blocking`.

pub mod inspect;
pub mod resize;

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use pasar_service::media::object_store;
use sha2::{Digest, Sha256};

/// An encoded image ready to store: its bytes, what they are, and its content-addressed key.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub bytes: Bytes,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub key: String,
}

impl Encoded {
    /// `bytes` of `content_type`, keyed `<prefix>/<sha256 of bytes>.<ext>`.
    pub fn new(prefix: &str, bytes: Vec<u8>, content_type: &'static str, size: (u32, u32)) -> Self {
        let hash = hex::encode(Sha256::digest(&bytes));
        let key = pasar_service::media::key_for(prefix, &hash, content_type)
            .unwrap_or_else(|| format!("{prefix}/{hash}"));
        Encoded {
            bytes: Bytes::from(bytes),
            content_type,
            width: size.0,
            height: size.1,
            key,
        }
    }
}

/// The store images are written to and read back from (by the thumbnails processor).
#[derive(Clone)]
pub struct Media {
    store: Arc<dyn ObjectStore>,
}

impl Media {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Media { store }
    }

    /// Writes `object` under its key. The key is its content's hash, so writing it again
    /// (a retry, a replay) rewrites the same bytes.
    pub async fn put(&self, object: &Encoded) -> Result<(), object_store::Error> {
        let payload = PutPayload::from_bytes(object.bytes.clone());
        self.store
            .put(&Path::from(object.key.as_str()), payload)
            .await
            .map(drop)
    }

    /// The object under `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, object_store::Error> {
        self.store.get(&Path::from(key)).await?.bytes().await
    }
}
