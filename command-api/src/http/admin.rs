//! `/v1/admin/users/{id}/…`: an admin's actions on another account: change its role, suspend
//! it (its tokens stop working at once, its open checkouts are cancelled, its products
//! hidden) and reinstate it. Each answers the account as it is after the action.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::customer::Customer;
use pasar_domain::values::printable;
use pasar_events::types::Role;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::admin::{self, AdminAction};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(change_role))
        .routes(routes!(suspend))
        .routes(routes!(reinstate))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "seller"}))]
struct RoleRequest {
    /// `buyer`, `seller` or `admin`.
    #[schema(example = "seller")]
    role: String,
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "listing counterfeit goods"}))]
struct SuspendRequest {
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    reason: String,
}

/// An account after an admin's action.
#[derive(ToSchema)]
#[allow(dead_code)]
struct AccountAnswer {
    id: Uuid,
    email: String,
    full_name: String,
    #[schema(example = "seller")]
    role: String,
    /// `active` or `suspended`.
    #[schema(example = "suspended")]
    state: String,
    /// Why it is suspended (`null` when active).
    suspension_reason: Option<String>,
    #[schema(example = "812-50")]
    consistency_token: String,
}

fn account_json(id: Uuid, customer: &Customer) -> Value {
    json!({
        "id": id,
        "email": customer.email,
        "full_name": customer.full_name,
        "role": customer.role.map(Role::as_str),
        "state": if customer.is_suspended() { "suspended" } else { "active" },
        "suspension_reason": customer.suspension.as_ref().map(|s| s.reason.clone()),
    })
}

async fn run(
    state: &AppState,
    user: &AuthUser,
    customer_id: Uuid,
    action: AdminAction,
    key: &IdempotencyKey,
    fingerprint: &impl Serialize,
) -> Result<Response, ApiError> {
    let key = key.for_request(&(customer_id, fingerprint))?;
    let outcome = admin::act(state, actor(user), customer_id, action, key.as_ref()).await?;
    let body = account_json(customer_id, &outcome.state);
    Ok(accepted(StatusCode::OK, body, outcome.position))
}

/// Change a user's role
///
/// Makes the account a buyer, a seller or an admin (an admin, on someone else's account).
/// Tokens issued with the old role stop working at once; the user refreshes (or signs in)
/// for one with the new role. The same role again records nothing.
#[utoipa::path(
    post, path = "/v1/admin/users/{user_id}/role", tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The account"), IdempotencyKeyHeader),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The account with its role", body = AccountAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a role, the caller's own account, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn change_role(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(customer_id): Path<Uuid>,
    Json(req): Json<RoleRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let role = match req.role.as_str() {
        "buyer" => Role::Buyer,
        "seller" => Role::Seller,
        "admin" => Role::Admin,
        _ => {
            let error = pasar_domain::FieldError::new("role", "must be buyer, seller or admin");
            return Err(ApiError::Validation(vec![error]));
        }
    };
    let action = AdminAction::ChangeRole { role };
    run(&state, &user, customer_id, action, &key, &("role", &req)).await
}

/// Suspend a user
///
/// The account's access tokens stop working at once (every service refuses them within
/// 2 seconds, usually milliseconds) and its sessions are revoked, so refresh and sign-in are
/// refused too; its unpaid checkouts are cancelled and its products hidden from listings,
/// product pages and search. An admin, on someone else's account. Suspending a suspended
/// account records nothing.
#[utoipa::path(
    post, path = "/v1/admin/users/{user_id}/suspend", tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The account"), IdempotencyKeyHeader),
    request_body = SuspendRequest,
    responses(
        (status = 200, description = "Suspended", body = AccountAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A blank or over-long `reason`, the caller's own account, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn suspend(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(customer_id): Path<Uuid>,
    Json(req): Json<SuspendRequest>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    let mut fields = Fields::default();
    let reason = fields.check("reason", printable(&req.reason).map(str::to_owned));
    fields.finish()?;
    let action = AdminAction::Suspend {
        reason: reason.unwrap_or_default(),
    };
    run(&state, &user, customer_id, action, &key, &("suspend", &req)).await
}

/// Reinstate a user
///
/// Lifts a suspension: the user signs in again (old sessions stay revoked) and their products
/// are shown again. An admin; reinstating an active account records nothing.
#[utoipa::path(
    post, path = "/v1/admin/users/{user_id}/reinstate", tag = "admin",
    security(("bearer" = [])),
    params(("user_id" = Uuid, Path, description = "The account"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Active again", body = AccountAnswer),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The caller's own account, or the Idempotency-Key was used with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn reinstate(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(customer_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Admin])?;
    run(
        &state,
        &user,
        customer_id,
        AdminAction::Reinstate,
        &key,
        &"reinstate",
    )
    .await
}
