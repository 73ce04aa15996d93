//! The reviews' reads, for the query API: a product's approved reviews (newest or most
//! helpful first), the moderation queue, and rating summaries, which the catalog's listings
//! join (`RATING_JOIN`) to show and sort by.

use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

/// Joins a listing of `rm.products` to the products' rating summaries (alias `pr`).
pub const RATING_JOIN: &str = " LEFT JOIN rm.product_ratings pr ON pr.product_id = rm.products.id";
/// The summary columns [`RatingSummary::from_row`] reads, from [`RATING_JOIN`].
pub const RATING_COLUMNS: &str = "pr.rating_count, pr.rating_sum, pr.rating_1, pr.rating_2, \
                                  pr.rating_3, pr.rating_4, pr.rating_5";

/// The "best rated" order of a product listing (with [`RATING_JOIN`]): the average in
/// millionths of a star ([`RatingSummary::sort_key`], 0 without ratings), then the number of
/// ratings, then id.
pub const RATING_ORDER: &str = "COALESCE(pr.rating_sum * 1000000 / NULLIF(pr.rating_count, 0), 0) DESC, \
                                COALESCE(pr.rating_count, 0) DESC, id DESC";
/// Rows after (sort key, count, id) in [`RATING_ORDER`].
pub const RATING_AFTER: &str = "(COALESCE(pr.rating_sum * 1000000 / NULLIF(pr.rating_count, 0), 0), \
                                COALESCE(pr.rating_count, 0), id) < (?1, ?2, ?3)";

/// A product's approved ratings.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RatingSummary {
    /// Mean of the approved ratings, to two decimals; 0 without any.
    #[schema(example = 4.5)]
    pub average: f64,
    /// Approved reviews.
    #[schema(example = 2)]
    pub count: i64,
    /// Approved reviews per number of stars, from 1 to 5 (always five entries).
    pub stars: Vec<StarCount>,
    #[serde(skip)]
    sum: i64,
}

/// How many approved reviews gave one number of stars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StarCount {
    /// 1 to 5.
    #[schema(example = 5)]
    pub rating: i16,
    #[schema(example = 1)]
    pub count: i64,
}

impl RatingSummary {
    /// From [`RATING_COLUMNS`] (all null for a product without a summary row).
    pub fn from_row(row: &Row) -> RatingSummary {
        let n = |column: &str| row.get::<_, Option<i64>>(column).unwrap_or(0);
        let (count, sum) = (n("rating_count"), n("rating_sum"));
        RatingSummary {
            average: average(sum, count),
            count,
            stars: (1..=5)
                .map(|rating| StarCount {
                    rating,
                    count: n(&format!("rating_{rating}")),
                })
                .collect(),
            sum,
        }
    }

    /// A product without approved reviews.
    pub fn none() -> RatingSummary {
        RatingSummary {
            average: 0.0,
            count: 0,
            stars: (1..=5)
                .map(|rating| StarCount { rating, count: 0 })
                .collect(),
            sum: 0,
        }
    }

    /// The first key of [`RATING_ORDER`] for this summary.
    pub fn sort_key(&self) -> i64 {
        if self.count == 0 {
            0
        } else {
            self.sum * 1_000_000 / self.count
        }
    }
}

#[expect(clippy::cast_precision_loss, reason = "counts and sums far below 2^52")]
fn average(sum: i64, count: i64) -> f64 {
    if count == 0 {
        return 0.0;
    }
    (sum as f64 / count as f64 * 100.0).round() / 100.0
}

/// One product's summary (zeros without approved reviews).
pub async fn summary(
    client: &impl GenericClient,
    product_id: Uuid,
) -> Result<RatingSummary, tokio_postgres::Error> {
    let row = client
        .query_opt(
            &format!("SELECT {RATING_COLUMNS} FROM rm.product_ratings pr WHERE pr.product_id = $1"),
            &[&product_id],
        )
        .await?;
    Ok(match row {
        Some(row) => RatingSummary::from_row(&row),
        None => RatingSummary::none(),
    })
}

/// A review as anyone may read it (approved ones only are served publicly).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicReview {
    pub id: Uuid,
    pub product_id: Uuid,
    pub author_id: Uuid,
    #[schema(example = 5)]
    pub rating: i16,
    /// As its author wrote it; plain text, never HTML.
    #[schema(example = "Mantap")]
    pub title: String,
    #[schema(example = "Kopinya harum, pengiriman cepat.")]
    pub body: String,
    /// Buyers who found it helpful.
    #[schema(example = 3)]
    pub helpful: i64,
    pub submitted_at: DateTime<Utc>,
    /// Last edited by its author (null if never).
    pub edited_at: Option<DateTime<Utc>>,
}

/// A review with its moderation state, for admins.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModeratedReview {
    #[serde(flatten)]
    pub review: PublicReview,
    pub order_id: Uuid,
    /// `pending`, `approved` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    pub reject_reason: Option<String>,
    pub moderated_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, product_id, author_id, rating, title, body, helpful, submitted_at, \
                       edited_at, order_id, status, reject_reason, moderated_at";

impl ModeratedReview {
    fn from_row(row: &Row) -> ModeratedReview {
        ModeratedReview {
            review: PublicReview {
                id: row.get("id"),
                product_id: row.get("product_id"),
                author_id: row.get("author_id"),
                rating: row.get("rating"),
                title: row.get("title"),
                body: row.get("body"),
                helpful: row.get("helpful"),
                submitted_at: row.get("submitted_at"),
                edited_at: row.get("edited_at"),
            },
            order_id: row.get("order_id"),
            status: row.get("status"),
            reject_reason: row.get("reject_reason"),
            moderated_at: row.get("moderated_at"),
        }
    }
}

/// The order of a product's approved reviews, each after the key of the last row served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOrder {
    /// Newest first; after this (submitted_at, id).
    Newest {
        after: Option<(DateTime<Utc>, Uuid)>,
    },
    /// Most helpful votes first, then newest; after this (helpful, submitted_at, id).
    Helpful {
        after: Option<(i64, DateTime<Utc>, Uuid)>,
    },
}

/// Up to `limit` approved reviews of `product_id` in `order`.
pub async fn approved(
    client: &impl GenericClient,
    product_id: Uuid,
    order: ReviewOrder,
    limit: i64,
) -> Result<Vec<PublicReview>, tokio_postgres::Error> {
    let rows = match order {
        ReviewOrder::Newest { after } => {
            let (at, id) = after.unzip();
            client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM rm.reviews
                         WHERE product_id = $1 AND status = 'approved'
                           AND ($2::timestamptz IS NULL OR (submitted_at, id) < ($2, $3))
                         ORDER BY submitted_at DESC, id DESC LIMIT $4"
                    ),
                    &[&product_id, &at, &id, &limit],
                )
                .await?
        }
        ReviewOrder::Helpful { after } => {
            let (helpful, at, id) = match after {
                Some((helpful, at, id)) => (Some(helpful), Some(at), Some(id)),
                None => (None, None, None),
            };
            client
                .query(
                    &format!(
                        "SELECT {COLUMNS} FROM rm.reviews
                         WHERE product_id = $1 AND status = 'approved'
                           AND ($2::bigint IS NULL OR (helpful, submitted_at, id) < ($2, $3, $4))
                         ORDER BY helpful DESC, submitted_at DESC, id DESC LIMIT $5"
                    ),
                    &[&product_id, &helpful, &at, &id, &limit],
                )
                .await?
        }
    };
    Ok(rows
        .iter()
        .map(|row| ModeratedReview::from_row(row).review)
        .collect())
}

/// Up to `limit` reviews in `status` (`pending`, `approved`, `rejected`), oldest first (the
/// moderation queue), after this (submitted_at, id).
pub async fn by_status(
    client: &impl GenericClient,
    status: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ModeratedReview>, tokio_postgres::Error> {
    let (at, id) = after.unzip();
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM rm.reviews
                 WHERE status = $1
                   AND ($2::timestamptz IS NULL OR (submitted_at, id) > ($2, $3))
                 ORDER BY submitted_at, id LIMIT $4"
            ),
            &[&status, &at, &id, &limit],
        )
        .await?;
    Ok(rows.iter().map(ModeratedReview::from_row).collect())
}
