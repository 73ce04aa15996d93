//! `/v1/me/addresses`: the caller's address book (at most 10 entries, one default), which
//! checkout can ship to by `address_id`. Read from the book's own stream, like `/v1/me`: the
//! owner's private data, always current after their own change.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pasar_domain::FieldError;
use pasar_domain::address_book::{AddressBook, AddressPatch, Label};
use pasar_domain::values::Address;
use pasar_events::types::ShippingAddress;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::input::{Fields, IdempotencyKey, present};
use super::openapi::IdempotencyKeyHeader;
use super::{accepted, actor};
use crate::app::AppState;
use crate::app::addresses::{self, AddressChange, NewAddress};
use crate::auth::AuthUser;
use crate::error::{ApiError, Json, Path};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(change, remove))
}

/// The book: every entry in the order added (at most 10, so one page), the default marked.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the answer for the OpenAPI document")]
struct AddressBookAnswer {
    addresses: Vec<AddressAnswer>,
    /// The default entry's id; null for an empty book.
    default_address_id: Option<Uuid>,
    /// After a change only.
    consistency_token: Option<String>,
}

#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the answer for the OpenAPI document")]
struct AddressAnswer {
    id: Uuid,
    #[schema(example = "Rumah")]
    label: Option<String>,
    #[schema(example = "Ani Lestari")]
    recipient: String,
    #[schema(example = "081234567890")]
    phone: String,
    #[schema(example = "Jl. Dago 1")]
    address: String,
    #[schema(example = "Bandung")]
    city: String,
    #[schema(example = "40135")]
    postal_code: String,
    country_code: String,
    destination_id: Option<u32>,
    is_default: bool,
}

/// The answer of a change to the book; `created` names a new entry.
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the answer for the OpenAPI document")]
struct AddressAddedAnswer {
    /// The new entry's id.
    id: Uuid,
    addresses: Vec<AddressAnswer>,
    default_address_id: Option<Uuid>,
    consistency_token: String,
}

fn book_json(book: &AddressBook) -> Value {
    let entries: Vec<Value> = book
        .entries
        .iter()
        .map(|e| {
            let a = &e.address;
            json!({
                "id": e.address_id, "label": e.label, "recipient": a.recipient, "phone": a.phone,
                "address": a.address, "city": a.city, "postal_code": a.postal_code,
                "country_code": a.country_code, "destination_id": a.destination_id,
                "is_default": book.is_default(e.address_id),
            })
        })
        .collect();
    json!({ "addresses": entries, "default_address_id": book.default })
}

/// A new entry: the address as checkout takes it, an optional label, whether it becomes the
/// default (the first entry always does).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Rumah", "recipient": "Ani Lestari", "phone": "081234567890", "address": "Jl. Dago 1", "city": "Bandung", "postal_code": "40135", "destination_id": 12045, "is_default": true}))]
struct AddAddressRequest {
    /// 1 to 50 characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 50)]
    label: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    recipient: String,
    #[schema(min_length = 1, max_length = 20)]
    phone: String,
    #[schema(min_length = 1, max_length = 500)]
    address: String,
    #[schema(min_length = 1, max_length = 100)]
    city: String,
    #[schema(min_length = 1, max_length = 10)]
    postal_code: String,
    #[serde(default)]
    #[schema(max_length = 3)]
    country_code: Option<String>,
    /// A RajaOngkir location id (`GET /v1/shipping/destinations`), needed to check out with
    /// this entry when shipping is configured.
    #[serde(default)]
    #[schema(minimum = 1)]
    destination_id: Option<u32>,
    #[serde(default)]
    is_default: bool,
}

/// A location id is never 0.
fn check_destination(fields: &mut Fields, destination_id: Option<u32>) {
    if destination_id == Some(0) {
        fields.push([FieldError::new("destination_id", "must be a location id")]);
    }
}

fn label(fields: &mut Fields, raw: Option<&str>) -> Option<Label> {
    raw.and_then(|l| fields.check("label", Label::parse(l)))
}

/// The domain's address errors name `shipping_address.<field>`; here the fields are top level.
pub(super) fn unprefixed(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError {
            field: e.field.strip_prefix("shipping_address.").unwrap_or(e.field),
            message: e.message,
        })
        .collect()
}

impl AddAddressRequest {
    fn parse(&self) -> Result<NewAddress, ApiError> {
        let mut fields = Fields::default();
        let label = label(&mut fields, self.label.as_deref());
        let address = Address::parse(&ShippingAddress {
            recipient: self.recipient.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            city: self.city.clone(),
            postal_code: self.postal_code.clone(),
            country_code: self.country_code.clone().unwrap_or_default(),
            destination_id: self.destination_id,
        })
        .map_err(|e| fields.push(unprefixed(e)))
        .ok();
        check_destination(&mut fields, self.destination_id);
        fields.finish()?;
        let address = address
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("invariant: no field errors")))?;
        Ok(NewAddress {
            label,
            address,
            make_default: self.is_default,
        })
    }
}

/// List my addresses
#[utoipa::path(
    get, path = "/v1/me/addresses", tag = "profile",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's address book", body = AddressBookAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Response, ApiError> {
    let book = addresses::list(&state, actor(&user)).await?;
    Ok(axum::Json(book_json(&book)).into_response())
}

/// Add an address
///
/// At most 10 per customer (the 11th is 422). The first becomes the default, as does any
/// added with `is_default: true`.
#[utoipa::path(
    post, path = "/v1/me/addresses", tag = "profile",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = AddAddressRequest,
    responses(
        (status = 201, description = "Added; the book with the new entry's `id`", body = AddressAddedAnswer),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, the book already holds 10 addresses, or the key was reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn add(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Json(req): Json<AddAddressRequest>,
) -> Result<Response, ApiError> {
    let new = req.parse()?;
    let key = key.for_request(&req)?;
    let (outcome, id) = addresses::add(&state, actor(&user), new, key.as_ref()).await?;
    let mut body = book_json(&outcome.state);
    body["id"] = json!(id);
    Ok(accepted(StatusCode::CREATED, body, outcome.position))
}

/// A change to one entry: every field optional; address fields replace the entry's and the
/// result must be a valid address.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "Kantor", "is_default": true}))]
struct ChangeAddressRequest {
    /// 1 to 50 characters; `null` removes the label.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    label: Option<Option<String>>,
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    country_code: Option<String>,
    /// `null` removes it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<u32>, minimum = 1)]
    destination_id: Option<Option<u32>>,
    /// `true` makes this entry the default (the previous default no longer is); `false` on
    /// the default is refused (make another entry the default instead).
    #[serde(default)]
    is_default: Option<bool>,
}

impl ChangeAddressRequest {
    fn parse(&self) -> Result<AddressChange, ApiError> {
        let mut fields = Fields::default();
        let label = match &self.label {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => label(&mut fields, Some(raw)).map(Some),
        };
        check_destination(&mut fields, self.destination_id.flatten());
        fields.finish()?;
        Ok(AddressChange {
            label,
            address: AddressPatch {
                recipient: self.recipient.clone(),
                phone: self.phone.clone(),
                address: self.address.clone(),
                city: self.city.clone(),
                postal_code: self.postal_code.clone(),
                country_code: self.country_code.clone(),
                destination_id: self.destination_id,
            },
            make_default: self.is_default,
        })
    }
}

/// Change an address
#[utoipa::path(
    patch, path = "/v1/me/addresses/{address_id}", tag = "profile",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "An entry of the caller's book"), IdempotencyKeyHeader),
    request_body = ChangeAddressRequest,
    responses(
        (status = 200, description = "The book after the change", body = AddressBookAnswer),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry in the caller's book", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid, `is_default: false` on the default, or the key was reused with another body", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(address_id): Path<Uuid>,
    Json(req): Json<ChangeAddressRequest>,
) -> Result<Response, ApiError> {
    let change = req.parse()?;
    let key = key.for_request(&(address_id, &req))?;
    let outcome = addresses::change(&state, actor(&user), address_id, change, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        book_json(&outcome.state),
        outcome.position,
    ))
}

/// Remove an address
///
/// Removing the default makes the oldest remaining entry the default.
#[utoipa::path(
    delete, path = "/v1/me/addresses/{address_id}", tag = "profile",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "An entry of the caller's book"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The book after the removal", body = AddressBookAnswer),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such entry in the caller's book", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A concurrent update won every retry", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The key was reused with another request", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The event store is unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    key: IdempotencyKey,
    Path(address_id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let key = key.for_request(&("remove", address_id))?;
    let outcome = addresses::remove(&state, actor(&user), address_id, key.as_ref()).await?;
    Ok(accepted(
        StatusCode::OK,
        book_json(&outcome.state),
        outcome.position,
    ))
}
