//! `/v1/categories`: the admins' category tree (create, rename, move, retire).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::category::{CategoryName, parse_name};
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::categories::{self, CategoryChange};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_category))
        .routes(routes!(edit_category, retire_category))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kopi", "parent_id": "0193a5f0-7d1e-7c3a-9b1e-2f6d8c4b1a00"}))]
struct CreateCategoryRequest {
    /// 1 to 100 characters with a letter or digit; its slug must be unique among the
    /// parent's active subcategories.
    #[schema(example = "Kopi")]
    name: String,
    /// An active category; absent or `null` for a root category.
    parent_id: Option<Uuid>,
}

/// `PATCH /v1/categories/{id}`: a new name, a new parent, or both.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Kopi & Teh"}))]
struct EditCategoryRequest {
    name: Option<String>,
    /// Moves the category under this active category; `null` moves it to the root. Never
    /// under itself or one of its subcategories.
    #[serde(
        default,
        deserialize_with = "super::input::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Uuid>, nullable)]
    parent_id: Option<Option<Uuid>>,
}

/// A category after a change.
#[derive(ToSchema)]
pub struct CategoryAnswer {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    #[schema(example = "Kopi")]
    pub name: String,
    #[schema(example = "kopi")]
    pub slug: String,
    pub retired: bool,
    #[schema(example = "812-40")]
    pub consistency_token: String,
}

fn name(fields: &mut Fields, raw: &str) -> Option<CategoryName> {
    fields.check("name", parse_name(raw))
}

async fn answer(
    state: &AppState,
    user: &AuthUser,
    change: CategoryChange,
    key: Option<crate::app::idempotency::Idempotency>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let (id, outcome) = categories::change(state, actor(user), change, key.as_ref()).await?;
    let node = outcome.state.get(id).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("invariant: a changed category {id} exists"))
    })?;
    Ok(accepted(
        status,
        json!({
            "id": id,
            "parent_id": node.parent_id,
            "name": node.name,
            "slug": node.slug,
            "retired": node.retired,
        }),
        outcome.position,
    ))
}

/// Create a category
///
/// An admin adds a category at the root or under an active parent (at most 6 levels, 5,000
/// categories).
#[utoipa::path(
    post, path = "/v1/categories", tag = "catalog",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, description = "Created (a retry with its Idempotency-Key answers the same category)", body = CategoryAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An active sibling has the same slug", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, unknown or retired parent, too deep, too many", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn create_category(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<CreateCategoryRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&req)?;
    let mut fields = Fields::default();
    let name = name(&mut fields, &req.name);
    fields.finish()?;
    let Some(name) = name else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "invariant: a name without field errors parses"
        )));
    };
    let change = CategoryChange::Create {
        parent_id: req.parent_id,
        name,
    };
    answer(&state, &user, change, key, StatusCode::CREATED).await
}

/// Rename or move a category
///
/// An admin renames a category, moves it under another parent (or to the root), or both. A
/// move that would put a category under itself or one of its subcategories is refused.
#[utoipa::path(
    patch, path = "/v1/categories/{category_id}", tag = "catalog",
    security(("bearer" = [])),
    params(("category_id" = Uuid, Path, description = "The category"), IdempotencyKeyHeader),
    request_body = EditCategoryRequest,
    responses(
        (status = 200, description = "Changed (or nothing to change)", body = CategoryAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown category", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An active sibling has the same slug", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name, retired category, unknown or retired parent, a cycle, too deep", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn edit_category(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(category_id): Path<Uuid>,
    Json(req): Json<EditCategoryRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&(category_id, &req))?;
    let mut fields = Fields::default();
    let name = req.name.as_deref().map(|raw| name(&mut fields, raw));
    fields.finish()?;
    let change = CategoryChange::Edit {
        category_id,
        name: name.flatten(),
        parent_id: req.parent_id,
    };
    answer(&state, &user, change, key, StatusCode::OK).await
}

/// Retire a category
///
/// An admin retires a category without active subcategories: new listings can no longer use
/// it; its products stay readable and keep it.
#[utoipa::path(
    delete, path = "/v1/categories/{category_id}", tag = "catalog",
    security(("bearer" = [])),
    params(("category_id" = Uuid, Path, description = "The category"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Retired (or already retired)", body = CategoryAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown category", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "It has active subcategories, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn retire_category(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(category_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let key = key.for_request(&category_id)?;
    answer(
        &state,
        &user,
        CategoryChange::Retire { category_id },
        key,
        StatusCode::OK,
    )
    .await
}
