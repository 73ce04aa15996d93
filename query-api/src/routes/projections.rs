//! `GET /v1/projections` (admin): every processor on the runtime's checkpoint table (projections
//! with their live and building versions, the publisher, the command API's reactors and
//! sweeper), the same figures as `projector status` (both through `pasar_projector::status`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use pasar_events::types::Role;
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use pasar_service::openapi::ProblemDetails as Problem;

/// One live or building version of a projection.
#[derive(Debug, Serialize, ToSchema)]
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
    fn from_status(status: pasar_projector::status::ProjectionStatus) -> Self {
        ProjectionStatus {
            name: status.name,
            version: status.version,
            state: status.state.as_str().to_owned(),
            position: status.position.to_string(),
            lag_events: status.lag,
            lag_seconds: status.lag_seconds,
            updated_at: status.updated_at.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Projections {
    pub projections: Vec<ProjectionStatus>,
}

/// Projections' progress
///
/// Every processor on the checkpoint table with its position and lag. Admins only: 401
/// without a token, 403 for anyone but an admin.
#[utoipa::path(
    get, path = "/v1/projections", tag = "operations",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every projection version", body = Projections),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The read models are unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Projections>, ApiError> {
    user.require(&[Role::Admin])?;
    let client = state.pool.get().await?;
    let statuses = pasar_projector::status::all(&client)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(Projections {
        projections: statuses
            .into_iter()
            .map(ProjectionStatus::from_status)
            .collect(),
    }))
}
