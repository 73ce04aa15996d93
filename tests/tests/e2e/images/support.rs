//! Helpers of the image tests: multipart uploads, waiting for thumbnails, what the store and
//! the log hold, and an S3-compatible server (moto) on a free port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pasar_tests::stack::{Stack, free_port};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use uuid::Uuid;

/// One file of a form: the name and type the client claims, and its bytes.
pub struct File {
    pub name: &'static str,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

pub fn file(name: &'static str, mime: &'static str, bytes: Vec<u8>) -> File {
    File { name, mime, bytes }
}

/// `POST /v1/products/{id}/images` with `files` as `files` parts.
pub async fn upload(
    stack: &Stack,
    product: Uuid,
    token: Option<&str>,
    files: &[File],
    key: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = Form::new();
    for f in files {
        let part = Part::bytes(f.bytes.clone())
            .file_name(f.name)
            .mime_str(f.mime)
            .expect("a valid mime type");
        form = form.part("files", part);
    }
    let url = format!("{}/v1/products/{product}/images", stack.command_url);
    let mut request = stack.http.post(url).multipart(form);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.expect("upload sent");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// The product detail once it lists `count` images, none of them processing (up to 90 s:
/// thumbnails of large images on a busy machine, or after a restart).
pub async fn until_thumbnails(stack: &Stack, product: Uuid, count: usize) -> Value {
    let path = format!("/v1/products/{product}");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let (status, body) = stack.query(&path, None, None).await;
        let images = body["images"].as_array().cloned().unwrap_or_default();
        if status == StatusCode::OK
            && images.len() == count
            && images.iter().all(|i| i["processing"] == false)
        {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "thumbnails not made in time: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every file under `dir` (none if it does not exist), as paths relative to it.
pub fn stored_files(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The keys a product detail names: each image's and each thumbnail's, sorted, distinct.
pub fn keys_of(detail: &Value) -> Vec<String> {
    let key = |url: &Value| {
        url.as_str()
            .and_then(|u| u.strip_prefix("/v1/media/"))
            .expect("a media URL")
            .to_owned()
    };
    let mut keys = Vec::new();
    for image in detail["images"].as_array().expect("images") {
        keys.push(key(&image["url"]));
        for t in image["thumbnails"].as_array().expect("thumbnails") {
            keys.push(key(&t["url"]));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The events of one type on a product's stream.
pub async fn product_events(stack: &Stack, product: Uuid, event_type: &str) -> Vec<Value> {
    stack
        .stream_events(&format!("product-{product}"))
        .await
        .into_iter()
        .filter(|(t, _)| t == event_type)
        .map(|(_, data)| data)
        .collect()
}

/// `GET` on the query API, raw: status, headers and bytes.
pub async fn fetch(
    stack: &Stack,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = stack.http.get(format!("{}{path}", stack.query_url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, headers, bytes)
}

/// A moto server (S3-compatible) on a free port, stopped when dropped.
pub struct Moto {
    pub url: String,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Moto {
    /// Starts `moto_server` (or `python3 -m moto.server`). `None` when neither is installed
    /// and this is not CI; in CI (`CI=true`) a missing moto fails the test, naming the fix.
    pub async fn start() -> Option<Moto> {
        let port = free_port().to_string();
        let args = ["-H", "127.0.0.1", "-p", port.as_str()];
        let spawn = |program: &str, prefix: &[&str]| {
            Command::new(program)
                .args(prefix)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        };
        let has_module = Command::new("python3")
            .args(["-c", "import moto.server"])
            .status()
            .is_ok_and(|s| s.success());
        let child = match spawn("moto_server", &[]) {
            Ok(child) => child,
            Err(_) if has_module => spawn("python3", &["-m", "moto.server"]).expect("python3 runs"),
            Err(e) => {
                let message = format!(
                    "moto_server is not installed ({e}): `python3 -m pip install 'moto[server]'` \
                     (scripts/test installs it)"
                );
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
                eprintln!("skipping the S3 test: {message}");
                return None;
            }
        };
        let moto = Moto {
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(&moto.url).send().await.is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not start on {}",
                moto.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Some(moto)
    }

    /// Creates `bucket`.
    pub async fn create_bucket(&self, bucket: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.url))
            .send()
            .await
            .expect("moto answers");
        assert!(
            response.status().is_success(),
            "{:?}",
            response.text().await
        );
    }

    /// The keys in `bucket`, sorted.
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let xml = reqwest::get(format!("{}/{bucket}?list-type=2", self.url))
            .await
            .expect("moto answers")
            .text()
            .await
            .expect("a listing");
        let mut keys: Vec<String> = xml
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split_once("</Key>").map(|(k, _)| k.to_owned()))
            .collect();
        keys.sort();
        keys
    }
}

/// The media directory of a stack (for the local-directory tests).
pub fn media_dir(stack: &Stack) -> PathBuf {
    stack.media_dir.clone()
}

pub fn ids(body: &Value, field: &str) -> Vec<String> {
    body[field]
        .as_array()
        .unwrap_or_else(|| panic!("{field} in {body}"))
        .iter()
        .map(|i| {
            i.as_str()
                .map_or_else(|| i["id"].to_string(), str::to_owned)
        })
        .map(|s| s.trim_matches('"').to_owned())
        .collect()
}

pub fn thumbnail(image: &Value, size: u64) -> &Value {
    image["thumbnails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["size"] == size)
        .unwrap_or_else(|| panic!("no {size} thumbnail in {image}"))
}

/// Checks a served object: content type, nosniff, immutable caching, strong ETag (and 304).
pub async fn served(stack: &Stack, url: &str, content_type: &str) -> Vec<u8> {
    let (status, headers, bytes) = fetch(stack, url, &[]).await;
    assert_eq!(status, StatusCode::OK, "{url}");
    let header = |name: &str| headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), content_type, "{url}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(
        header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let etag = header("etag");
    let (again, _, body) = fetch(stack, url, &[("if-none-match", &etag)]).await;
    assert_eq!(again, StatusCode::NOT_MODIFIED, "{url}");
    assert!(body.is_empty());
    bytes
}
