//! HTTP handlers, one module per area. Each handler turns its input into a command, runs it,
//! and answers with the outcome and a consistency token.

pub mod accounts;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod webhook;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pasar_events::{Metadata, Position};
use uuid::Uuid;

use crate::auth::AuthUser;

pub const CONSISTENCY_HEADER: HeaderName = HeaderName::from_static("x-consistency-token");

/// A successful command's answer: its JSON body gains `consistency_token`, and the same token
/// goes in the `X-Consistency-Token` header.
pub fn accepted(status: StatusCode, mut body: serde_json::Value, position: Position) -> Response {
    let token = position.to_string();
    if let Some(map) = body.as_object_mut() {
        map.insert("consistency_token".into(), token.clone().into());
    }
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&token) {
        response.headers_mut().insert(CONSISTENCY_HEADER, value);
    }
    response
}

/// Metadata for events caused by a user's request.
pub fn user_metadata(user: &AuthUser) -> Metadata {
    Metadata {
        correlation_id: Some(Uuid::now_v7()),
        actor_id: Some(user.id),
        ..Metadata::default()
    }
}
