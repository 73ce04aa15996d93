//! `POST /v1/me/password`: the current password is required; the new one is hashed with the
//! bounded argon2id hasher; every session but the caller's own is revoked. Wrong current
//! passwords count as failed logins of the account (the same throttle), so a stolen access
//! token cannot be used to guess the password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pasar_domain::FieldError;
use serde::Deserialize;
use utoipa::ToSchema;

use super::super::accounts::{MAX_PASSWORD, MIN_PASSWORD};
use super::super::input::{ClientAddr, Fields, text};
use super::{MeAnswer, me_json};
use crate::app::profile::{self, PasswordChange};
use crate::app::{AppState, Rule};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json};
use crate::http::{accepted, actor};
use pasar_service::openapi::ProblemDetails as Problem;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "buyer-password", "new_password": "a-new-long-password"}))]
pub(super) struct ChangePasswordRequest {
    current_password: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    new_password: String,
}

impl ChangePasswordRequest {
    fn check(&self) -> Result<(), ApiError> {
        let mut fields = Fields::default();
        text(&mut fields, "current_password", &self.current_password);
        text(&mut fields, "new_password", &self.new_password);
        let length = self.new_password.chars().count();
        if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&length) {
            let message = format!("must be {MIN_PASSWORD} to {MAX_PASSWORD} characters");
            fields.push([FieldError::new("new_password", message)]);
        }
        if self.current_password.len() > MAX_PASSWORD * 4 {
            fields.push([FieldError::new("current_password", "is too long")]);
        }
        fields.finish()
    }
}

/// Change my password
///
/// Requires the current password (a wrong one is 401 and counts as a failed login of the
/// account: after five, 429 with `Retry-After`). Every other session (refresh-token family)
/// is revoked: their refresh tokens stop working (access tokens already issued run out within
/// 15 minutes); the caller's own session goes on.
#[utoipa::path(
    post, path = "/v1/me/password", tag = "profile",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Changed; the account", body = MeAnswer),
        (status = 401, description = "No or bad token, or the current password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The password was changed concurrently, or a concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The new password is not 10 to 128 characters", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong passwords for this account or address (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable, or every password-hashing slot is busy (`Retry-After`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    ClientAddr(client): ClientAddr,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<Response, ApiError> {
    req.check()?;
    let customer = profile::get(&state, actor(&user)).await?;
    let throttle = &state.login_throttle;
    let attempt = throttle.begin(
        &customer.email.to_lowercase(),
        client,
        std::time::Instant::now(),
    )?;
    let verified_hash = customer.password_hash.clone();
    let checked = state
        .passwords
        .verify(req.current_password, Some(verified_hash.clone()))
        .await;
    match checked {
        Ok(true) => throttle.succeeded(attempt),
        Ok(false) => return Err(Rule::InvalidCredentials.into()),
        Err(e) => {
            throttle.not_checked(attempt);
            return Err(e.into());
        }
    }
    let change = PasswordChange {
        verified_hash,
        new_hash: state.passwords.hash(req.new_password).await?,
        keep_session: user.session,
    };
    let outcome = profile::change_password(&state, actor(&user), change).await?;
    Ok(accepted(
        StatusCode::OK,
        me_json(&outcome.state),
        outcome.position,
    ))
}
