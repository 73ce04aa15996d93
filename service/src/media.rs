//! Where product images and their thumbnails are stored: any `object_store` backend, a local
//! directory by default (`MEDIA_DIR`, `./data/media`), an S3-compatible bucket when
//! `MEDIA_S3_BUCKET` is set (`MEDIA_S3_ENDPOINT` for a store other than AWS, plain http
//! allowed; credentials and region from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`). The command API writes, the query API serves (`GET /v1/media/{key}`); both
//! read the same configuration.
//!
//! Keys are content-addressed: `images/<sha256 of the stored bytes>.<ext>` and
//! `thumbs/<sha256>.<ext>`, so writing the same bytes twice is one object, and [`valid_key`]
//! refuses anything else (no path traversal, no other prefix).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;

use crate::config::{ConfigError, Env, Secret};

pub use object_store;

pub const DEFAULT_MEDIA_DIR: &str = "./data/media";

/// The object store's configuration.
#[derive(Clone)]
pub enum MediaConfig {
    /// A local directory, created if missing.
    Local { dir: PathBuf },
    /// An S3-compatible bucket.
    S3 {
        bucket: String,
        /// `None`: AWS itself.
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<Secret>,
    },
}

impl fmt::Debug for MediaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediaConfig::Local { dir } => write!(f, "local directory {}", dir.display()),
            MediaConfig::S3 {
                bucket, endpoint, ..
            } => write!(
                f,
                "S3 bucket {bucket} at {}",
                endpoint.as_deref().unwrap_or("AWS")
            ),
        }
    }
}

impl MediaConfig {
    /// Reads `MEDIA_S3_BUCKET` (S3 when set), `MEDIA_S3_ENDPOINT`, `AWS_REGION` (default
    /// `us-east-1`), `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`; else `MEDIA_DIR`.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let Some(bucket) = env.get("MEDIA_S3_BUCKET") else {
            return Ok(MediaConfig::Local {
                dir: env.get_or("MEDIA_DIR", DEFAULT_MEDIA_DIR).into(),
            });
        };
        let endpoint = env.get("MEDIA_S3_ENDPOINT");
        if let Some(e) = &endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(ConfigError::new(
                "MEDIA_S3_ENDPOINT",
                format!("{e:?} (expected an http:// or https:// URL)"),
            ));
        }
        Ok(MediaConfig::S3 {
            bucket,
            endpoint,
            region: env.get_or("AWS_REGION", "us-east-1"),
            access_key_id: env.get("AWS_ACCESS_KEY_ID"),
            secret_access_key: env.get("AWS_SECRET_ACCESS_KEY").map(Secret::new),
        })
    }

    /// Opens the store (a local directory is created if missing).
    pub fn open(&self) -> Result<Arc<dyn ObjectStore>, object_store::Error> {
        Ok(match self {
            MediaConfig::Local { dir } => {
                std::fs::create_dir_all(dir).map_err(|e| object_store::Error::Generic {
                    store: "LocalFileSystem",
                    source: Box::new(e),
                })?;
                Arc::new(LocalFileSystem::new_with_prefix(dir)?)
            }
            MediaConfig::S3 {
                bucket,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region);
                if let Some(endpoint) = endpoint {
                    builder = builder.with_endpoint(endpoint).with_allow_http(true);
                }
                if let Some(id) = access_key_id {
                    builder = builder.with_access_key_id(id);
                }
                if let Some(secret) = secret_access_key {
                    builder = builder.with_secret_access_key(secret.expose());
                }
                Arc::new(builder.build()?)
            }
        })
    }
}

/// The folders keys live in: originals and thumbnails.
pub const PREFIXES: [&str; 2] = ["images", "thumbs"];

/// The content type of a stored object, from its key's extension (the extension was chosen
/// from the bytes when it was stored).
pub fn content_type(key: &str) -> Option<&'static str> {
    match key.rsplit_once('.')?.1 {
        "jpg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// The extension stored objects of `content_type` get.
pub fn extension(content_type: &str) -> Option<&'static str> {
    match content_type {
        "image/jpeg" => Some("jpg"),
        "image/png" => Some("png"),
        "image/webp" => Some("webp"),
        _ => None,
    }
}

/// The key of `bytes` of `content_type` under `prefix`: `<prefix>/<sha256 hex>.<ext>`.
pub fn key_for(prefix: &str, sha256_hex: &str, content_type: &str) -> Option<String> {
    Some(format!(
        "{prefix}/{sha256_hex}.{}",
        extension(content_type)?
    ))
}

/// Whether `key` is one this shop writes: `images/` or `thumbs/`, 64 lowercase hex digits, a
/// known extension. Nothing else is ever read from the store.
pub fn valid_key(key: &str) -> bool {
    let Some((prefix, name)) = key.split_once('/') else {
        return false;
    };
    let Some((hash, _)) = name.split_once('.') else {
        return false;
    };
    PREFIXES.contains(&prefix)
        && hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && content_type(name).is_some()
        && name.len() == 64 + 1 + name.rsplit_once('.').map_or(0, |(_, e)| e.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_addressed_keys_under_our_prefixes_are_valid() {
        let hash = "ab".repeat(32);
        assert!(valid_key(&format!("images/{hash}.jpg")));
        assert!(valid_key(&format!("thumbs/{hash}.webp")));
        for bad in [
            format!("../{hash}.jpg"),
            format!("images/../{hash}.jpg"),
            format!("images/{hash}.jpg/../x"),
            format!("other/{hash}.jpg"),
            format!("images/{hash}.svg"),
            format!("images/{}.jpg", "AB".repeat(32)),
            format!("images/{hash}"),
            format!("images/{hash}.jpg.png"),
            "images/x.jpg".to_owned(),
            String::new(),
        ] {
            assert!(!valid_key(&bad), "{bad}");
        }
    }

    #[test]
    fn s3_is_chosen_by_its_bucket_and_the_local_directory_is_the_default() {
        let local = MediaConfig::read(&Env::from_pairs(&[])).unwrap();
        assert!(
            matches!(local, MediaConfig::Local { dir } if dir == std::path::Path::new(DEFAULT_MEDIA_DIR))
        );
        let s3 = MediaConfig::read(&Env::from_pairs(&[
            ("MEDIA_S3_BUCKET", "pasar"),
            ("MEDIA_S3_ENDPOINT", "http://127.0.0.1:9000"),
        ]))
        .unwrap();
        assert_eq!(
            format!("{s3:?}"),
            "S3 bucket pasar at http://127.0.0.1:9000"
        );
        let bad = MediaConfig::read(&Env::from_pairs(&[
            ("MEDIA_S3_BUCKET", "pasar"),
            ("MEDIA_S3_ENDPOINT", "127.0.0.1:9000"),
        ]));
        assert!(bad.is_err());
    }
}
