//! `/v1/me`: the caller's own account. Served by the command API from the customer's own
//! stream rather than from a read model: it is the caller's private data (phone, avatar), read
//! only by its owner, so it is always current after their own change (no consistency token to
//! wait on) and no second copy of it is kept in the read models.
//!
//! - this file: `GET /v1/me` and `PATCH /v1/me` (full name, phone, locale);
//! - [`password`]: `POST /v1/me/password`;
//! - [`avatar`]: `PUT /v1/me/avatar`.

mod avatar;
mod password;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pasar_domain::FieldError;
use pasar_domain::customer::Customer;
use pasar_domain::values::{Phone, Text};
use pasar_events::types::{Locale, Role};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::input::{Fields, IdempotencyKey, present};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::profile::{self, ProfileChange};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me))
        .routes(routes!(password::change))
        .merge(avatar::router())
}

/// The caller's account.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the answer for the OpenAPI document")]
struct MeAnswer {
    id: uuid::Uuid,
    #[schema(format = "email", example = "ani@example.com")]
    email: String,
    #[schema(example = "Ani Lestari")]
    full_name: String,
    /// `+628…`, or null when not given.
    #[schema(example = "+6281234567890")]
    phone: Option<String>,
    /// The language of the customer's emails: `id` (default) or `en`.
    #[schema(value_type = LocaleName)]
    locale: String,
    #[schema(value_type = super::openapi::RoleName)]
    role: String,
    /// Null until an avatar is set.
    avatar: Option<AvatarAnswer>,
    /// When the account was registered.
    created_at: chrono::DateTime<chrono::Utc>,
    /// After a change only: the log position of the change.
    consistency_token: Option<String>,
}

/// `id` (Indonesian, the default) or `en` (English).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the values for the OpenAPI document")]
enum LocaleName {
    Id,
    En,
}

/// The avatar as stored (re-encoded, without metadata) and its square thumbnail.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the answer for the OpenAPI document")]
pub(super) struct AvatarAnswer {
    id: uuid::Uuid,
    /// Served by the query API (`GET /v1/media/…`).
    #[schema(example = "/v1/media/images/4f6c…e1.jpg")]
    url: String,
    #[schema(example = "image/jpeg")]
    content_type: String,
    width: u32,
    height: u32,
    /// The 256 × 256 px thumbnail; null while it is being made.
    thumbnail_url: Option<String>,
    /// True until the thumbnail is made.
    processing: bool,
}

/// The account as answered by every `/v1/me` route.
pub(super) fn me_json(customer: &Customer) -> Value {
    let avatar = customer.profile.avatar.as_ref().map(|a| {
        json!({
            "id": a.avatar_id,
            "url": media_url(&a.key),
            "content_type": a.content_type,
            "width": a.width,
            "height": a.height,
            "thumbnail_url": a.thumbnail.as_ref().map(|t| media_url(&t.key)),
            "processing": a.thumbnail.is_none(),
        })
    });
    json!({
        "id": customer.id,
        "email": customer.email,
        "full_name": customer.full_name,
        "phone": customer.profile.phone,
        "locale": customer.profile.locale.as_str(),
        "role": customer.role.unwrap_or(Role::Buyer),
        "avatar": avatar,
        "created_at": customer.registered_at,
    })
}

fn media_url(key: &str) -> String {
    format!("/v1/media/{key}")
}

/// Get my account
///
/// The caller's own account, read from its stream (always current).
#[utoipa::path(
    get, path = "/v1/me", tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = MeAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn get_me(State(state): State<AppState>, user: AuthUser) -> Result<Response, ApiError> {
    let customer = profile::get(&state, actor(&user)).await?;
    Ok(axum::Json(me_json(&customer)).into_response())
}

/// What `PATCH /v1/me` may change; every field optional, anything else refused.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Ani Lestari", "phone": "0812-3456-7890", "locale": "en"}))]
struct UpdateMeRequest {
    /// 1 to 100 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    full_name: Option<String>,
    /// An Indonesian mobile number, `08…`, `628…` or `+628…` (spaces, dots and dashes
    /// allowed), stored as `+628…`; `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, example = "081234567890")]
    phone: Option<Option<String>>,
    /// `id` or `en`.
    #[serde(default)]
    #[schema(value_type = Option<LocaleName>)]
    locale: Option<String>,
}

impl UpdateMeRequest {
    fn parse(&self) -> Result<ProfileChange, ApiError> {
        let mut fields = Fields::default();
        let full_name = self
            .full_name
            .as_deref()
            .and_then(|n| fields.check("full_name", Text::<1, 100>::parse(n)))
            .map(Text::into_inner);
        let phone = match &self.phone {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => fields.check("phone", Phone::parse(raw)).map(Some),
        };
        let locale = match self.locale.as_deref() {
            None => None,
            Some(raw) => {
                let parsed = Locale::parse(raw);
                if parsed.is_none() {
                    fields.push([FieldError::new("locale", "must be id or en")]);
                }
                parsed
            }
        };
        // Every field given either parsed or was refused above.
        fields.finish()?;
        Ok(ProfileChange {
            full_name,
            phone,
            locale,
        })
    }
}

/// Update my profile
///
/// Changes the full name, phone and/or locale (the language of the caller's emails). Fields
/// left out stay as they are; the same values again record nothing. Recorded as one
/// `CustomerProfileUpdated` carrying the whole new profile.
#[utoipa::path(
    patch, path = "/v1/me", tag = "profile",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The account after the change", body = MeAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (a phone that is not an Indonesian mobile number, an unknown locale, a blank or long name, an unknown field), or the key was reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn update_me(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<UpdateMeRequest>,
) -> Result<Response, ApiError> {
    let change = req.parse()?;
    let key = key.for_request(&req)?;
    let outcome = profile::update(&state, actor(&user), change, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        me_json(&outcome.state),
        outcome.position,
    ))
}
