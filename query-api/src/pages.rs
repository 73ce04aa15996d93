//! A short-lived cache of the public catalog pages (`GET /v1/products` and
//! `GET /v1/products/{id}`), as the JSON bodies served.
//!
//! A marketplace's busiest reads are a few listing pages and its popular products, asked for
//! thousands of times a second and changing far less often. Each page is kept for at most
//! `PAGE_CACHE_TTL_MS` (default 1 s; 0 turns the cache off), within a memory budget, and is
//! served again only where it is fresh enough:
//! - without `X-Consistency-Token`, a read is as fresh as the read models, which already trail
//!   the log: a cached page adds at most the TTL to that;
//! - with a token, only a page computed once every projection the route reads covered the
//!   token's position is served (each page remembers the lowest of those checkpoints as known
//!   before its query ran); any other is computed afresh. Read-your-writes stays exact.

use std::time::Duration;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Response};
use axum::response::IntoResponse;
use pasar_events::Position;
use serde::Serialize;

use crate::error::ApiError;

/// Memory the cached bodies may take in all.
const BUDGET_BYTES: u64 = 16 * 1024 * 1024;

/// One cached body and how far the log it reflects reaches, at least.
#[derive(Clone)]
struct Page {
    body: Bytes,
    /// The lowest checkpoint of the route's projections, known before the page's query ran;
    /// `None` when one was unknown.
    covers: Option<Position>,
}

/// See the module documentation. Cheap to clone.
#[derive(Clone)]
pub struct PageCache {
    pages: Option<moka::sync::Cache<String, Page>>,
}

impl PageCache {
    /// Pages kept for `ttl`; `Duration::ZERO` keeps none.
    pub fn new(ttl: Duration) -> Self {
        let pages = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(BUDGET_BYTES)
                .weigher(|key: &String, page: &Page| {
                    u32::try_from(key.len() + page.body.len()).unwrap_or(u32::MAX)
                })
                .build()
        });
        PageCache { pages }
    }

    /// The body cached under `key`, if it is fresh enough for a request carrying `token`.
    fn get(&self, key: &str, token: Option<Position>) -> Option<Bytes> {
        let page = self.pages.as_ref()?.get(key)?;
        let fresh = match token {
            None => true,
            Some(token) => page.covers.is_some_and(|covers| covers >= token),
        };
        fresh.then_some(page.body)
    }

    /// Serves the JSON body cached under `key`, or computes it (`compute`, run only on a miss),
    /// caches it and serves it. `covers` is what the route's projections covered, as known
    /// right now (before `compute` reads them); `token` the request's consistency token,
    /// already waited for.
    pub async fn serve<T, F>(
        &self,
        key: String,
        token: Option<Position>,
        covers: Option<Position>,
        compute: F,
    ) -> Result<Response<axum::body::Body>, ApiError>
    where
        T: Serialize,
        F: Future<Output = Result<T, ApiError>>,
    {
        if let Some(body) = self.get(&key, token) {
            metrics::counter!("pasar_page_cache_total", "outcome" => "hit").increment(1);
            return Ok(json(body));
        }
        let value = compute.await?;
        let body =
            Bytes::from(serde_json::to_vec(&value).map_err(|e| ApiError::Internal(e.into()))?);
        if let Some(pages) = &self.pages {
            metrics::counter!("pasar_page_cache_total", "outcome" => "miss").increment(1);
            pages.insert(
                key,
                Page {
                    body: body.clone(),
                    covers,
                },
            );
        }
        Ok(json(body))
    }
}

fn json(body: Bytes) -> Response<axum::body::Body> {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(global: i64) -> Position {
        Position { txid: 1, global }
    }

    async fn serve(
        cache: &PageCache,
        token: Option<Position>,
        covers: Option<Position>,
        n: u32,
    ) -> String {
        let response = cache
            .serve("k".into(), token, covers, async { Ok(n) })
            .await
            .unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_page_is_served_again_only_to_a_token_it_covers() {
        let cache = PageCache::new(Duration::from_secs(60));
        assert_eq!(serve(&cache, None, Some(at(5)), 1).await, "1");
        assert_eq!(serve(&cache, None, Some(at(9)), 2).await, "1", "cached");
        assert_eq!(
            serve(&cache, Some(at(5)), Some(at(9)), 3).await,
            "1",
            "covers the token"
        );
        assert_eq!(
            serve(&cache, Some(at(6)), Some(at(9)), 4).await,
            "4",
            "too old for it"
        );
        assert_eq!(
            serve(&cache, Some(at(9)), Some(at(9)), 5).await,
            "4",
            "the fresh one is kept"
        );
    }

    #[tokio::test]
    async fn an_unknown_checkpoint_serves_no_token_and_a_zero_ttl_keeps_nothing() {
        let cache = PageCache::new(Duration::from_secs(60));
        assert_eq!(serve(&cache, None, None, 1).await, "1");
        assert_eq!(serve(&cache, Some(at(1)), None, 2).await, "2");
        let off = PageCache::new(Duration::ZERO);
        assert_eq!(serve(&off, None, Some(at(5)), 1).await, "1");
        assert_eq!(serve(&off, None, Some(at(5)), 2).await, "2");
    }
}
