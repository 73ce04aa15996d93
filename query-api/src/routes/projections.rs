//! `GET /v1/projections` (admin): the projector's progress, the same figures as
//! `projector status`. Both read the projector's view `rm.projection_status`.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use pasar_events::Position;
use pasar_events::types::Role;
use serde::Serialize;
use tokio_postgres::Row;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

/// One live or building version of a projection.
#[derive(Debug, Serialize)]
pub struct ProjectionStatus {
    pub name: String,
    pub version: i32,
    /// `live` (served) or `building` (a rebuild in progress, swapped in when caught up).
    pub state: String,
    /// The log position its rows cover, `<txid>-<global>` like a consistency token.
    pub position: String,
    /// Events in the log after `position`.
    pub lag_events: i64,
    /// Age of the oldest of those events in seconds; 0 when caught up.
    pub lag_seconds: f64,
    /// When its checkpoint last moved.
    pub updated_at: DateTime<Utc>,
}

impl ProjectionStatus {
    fn from_row(row: &Row) -> Self {
        let txid: i64 = row.get("txid");
        let position = Position {
            txid: u64::try_from(txid).unwrap_or(0),
            global: row.get("global"),
        };
        ProjectionStatus {
            name: row.get("name"),
            version: row.get("version"),
            state: row.get("state"),
            position: position.to_string(),
            lag_events: row.get("lag_events"),
            lag_seconds: row.get("lag_seconds"),
            updated_at: row.get("updated_at"),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Projections {
    pub projections: Vec<ProjectionStatus>,
}

/// 401 without a token, 403 for anyone but an admin.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Projections>, ApiError> {
    user.require(&[Role::Admin])?;
    let client = state.pool.get().await?;
    let rows = client
        .query(
            "SELECT name, version, state, txid, global, lag_events, lag_seconds, updated_at
             FROM rm.projection_status ORDER BY name, state = 'building', version",
            &[],
        )
        .await?;
    Ok(Json(Projections {
        projections: rows.iter().map(ProjectionStatus::from_row).collect(),
    }))
}
