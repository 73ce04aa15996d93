//! `GET /v1/shipping/destinations` and `GET /v1/shipping/quotes`: RajaOngkir location search
//! and the buyer's cart quoted per seller. They live on the command API because quotes are
//! stored here (the `shipping_quotes` table) so checkout can charge the quoted price. Both read
//! the event store directly (always current): no consistency token is needed or given.

use std::time::Duration;

use axum::extract::State;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pasar_domain::FieldError;
use pasar_events::types::Role;
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::actor;
use crate::app::AppState;
use crate::app::shipping::{self, QuoteGroup, ShippingRefusal};
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::rajaongkir::{RejectReason, ShippingError};
use pasar_service::openapi::ProblemDetails as Problem;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(destinations))
        .routes(routes!(quotes))
}

/// How long a client is told to wait when RajaOngkir did not say.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

/// The problem for a RajaOngkir failure: 503 with `Retry-After` when it is down, slow or
/// rate-limited, 502 for an answer we cannot read, 422 when it refused the input.
pub fn provider_problem(error: &ShippingError) -> ApiError {
    tracing::warn!(error = ?error, "rajaongkir call failed");
    let detail = error.client_message().to_owned();
    match error {
        ShippingError::Unavailable { .. } => ApiError::RetryLater {
            status: StatusCode::SERVICE_UNAVAILABLE,
            title: "Shipping rates unavailable",
            detail,
            retry_after: error.retry_after().unwrap_or(DEFAULT_RETRY_AFTER),
        },
        ShippingError::InvalidResponse { .. } => ApiError::RetryLater {
            status: StatusCode::BAD_GATEWAY,
            title: "Shipping provider error",
            detail,
            retry_after: DEFAULT_RETRY_AFTER,
        },
        ShippingError::Rejected {
            reason: RejectReason::UnknownLocation,
            ..
        } => ApiError::rejected("Unknown location", detail),
        ShippingError::Rejected { .. } => ApiError::rejected("Shipping request invalid", detail),
    }
}

/// The problem for a refused shipping request or checkout shipment: 422 naming the seller
/// (`seller_id`) when the refusal is about one seller's parcel; 503 when not configured.
pub fn refusal_problem(refusal: &ShippingRefusal) -> ApiError {
    use ShippingRefusal as R;
    let detail = refusal.to_string();
    let title = match refusal {
        R::NotConfigured => {
            return ApiError::Problem {
                status: StatusCode::SERVICE_UNAVAILABLE,
                title: "Shipping not configured",
                detail,
                extra: None,
            };
        }
        R::UnknownOrigin { .. } => {
            return ApiError::Validation(vec![FieldError::new("origin", detail)]);
        }
        R::DestinationRequired => {
            let field = "shipping_address.destination_id";
            return ApiError::Validation(vec![FieldError::new(field, detail)]);
        }
        R::ShipmentsNotAccepted => {
            return ApiError::Validation(vec![FieldError::new("shipments", detail)]);
        }
        R::CartIsEmpty => "Cart is empty",
        R::NoOrigin { .. } => "Seller cannot ship yet",
        R::ShipmentMissing { .. } | R::NotInCart { .. } | R::DuplicateShipment { .. } => {
            "Shipments invalid"
        }
        R::QuoteExpired { .. } => "Shipping quote expired",
        R::QuoteUnknown { .. }
        | R::OtherDestination { .. }
        | R::OtherParcel { .. }
        | R::ServiceNotQuoted { .. } => "Shipping quote invalid",
        R::ServiceWithdrawn { .. } => "Shipping service withdrawn",
    };
    ApiError::Problem {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        title,
        detail,
        extra: refusal.seller_id().map(|id| json!({ "seller_id": id })),
    }
}

fn bad_query(rejection: QueryRejection) -> ApiError {
    ApiError::BadRequest(rejection.body_text())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DestinationParams {
    /// Place name words (subdistrict, district, city), 1 to 100 characters.
    #[param(example = "gambir", min_length = 1, max_length = 100)]
    search: String,
}

/// One location.
#[derive(ToSchema)]
#[allow(dead_code)]
struct DestinationItem {
    /// The id to send as `destination` (quotes), `shipping_address.destination_id` (checkout)
    /// or `origin` (store profile).
    #[schema(example = 17473)]
    id: u32,
    #[schema(example = "GAMBIR, GAMBIR, JAKARTA PUSAT, DKI JAKARTA, 10110")]
    label: String,
    province_name: String,
    city_name: String,
    district_name: String,
    subdistrict_name: String,
    zip_code: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct DestinationsAnswer {
    /// At most 10.
    destinations: Vec<DestinationItem>,
}

/// Search locations
///
/// RajaOngkir locations matching the words of `search` (at most 10; cached for hours). Any
/// signed-in user: buyers for their address, sellers for their store's origin.
#[utoipa::path(
    get, path = "/v1/shipping/destinations", tag = "shipping",
    security(("bearer" = [])),
    params(DestinationParams),
    responses(
        (status = 200, description = "Matching locations (possibly none)", body = DestinationsAnswer),
        (status = 400, description = "`search` missing, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`search` blank or over 100 characters", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "RajaOngkir answered something unreadable", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "RajaOngkir is down or rate-limited (`Retry-After`), or shipping is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn destinations(
    State(state): State<AppState>,
    _user: AuthUser,
    params: Result<axum::extract::Query<DestinationParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params.map_err(bad_query)?.0;
    let found = shipping::destinations(&state, &params.search)
        .await
        .map_err(|e| match e {
            crate::app::AppError::Shipping(ShippingError::Rejected {
                reason: RejectReason::InvalidRequest,
                ..
            }) => ApiError::Validation(vec![FieldError::new(
                "search",
                "must be 1 to 100 characters",
            )]),
            other => other.into(),
        })?;
    Ok(axum::Json(json!({ "destinations": found })).into_response())
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct QuoteParams {
    /// A location id from `GET /v1/shipping/destinations`.
    #[param(example = 12045, minimum = 1)]
    destination: u32,
}

/// One courier service.
#[derive(ToSchema)]
#[allow(dead_code)]
struct ServiceItem {
    #[schema(example = "jne")]
    courier: String,
    #[schema(example = "Jalur Nugraha Ekakurir (JNE)")]
    courier_name: String,
    #[schema(example = "REG")]
    service: String,
    description: String,
    /// Rupiah for the whole parcel.
    #[schema(example = 18000)]
    cost: u64,
    /// Free text from the courier, e.g. `2-3 day`; may be empty.
    #[schema(example = "2-3 day")]
    etd: String,
}

/// One seller's parcel, quoted.
#[derive(ToSchema)]
#[allow(dead_code)]
struct QuoteGroupItem {
    /// Send it back in checkout's `shipments` with the chosen courier and service.
    quote_id: uuid::Uuid,
    seller_id: uuid::Uuid,
    store_name: String,
    origin: DestinationRef,
    weight_grams: u32,
    /// Cheapest first; empty when no courier serves the route.
    services: Vec<ServiceItem>,
    expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct DestinationRef {
    id: u32,
    label: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct QuotesAnswer {
    destination: u32,
    groups: Vec<QuoteGroupItem>,
    #[schema(example = "IDR")]
    currency: String,
}

fn group_json(group: &QuoteGroup) -> serde_json::Value {
    json!({
        "quote_id": group.quote_id,
        "seller_id": group.seller_id,
        "store_name": group.store_name,
        "origin": { "id": group.origin_id, "label": group.origin_label },
        "weight_grams": group.weight_grams,
        "services": group.services,
        "expires_at": group.expires_at,
    })
}

/// Quote the cart
///
/// Shipping for the buyer's current cart to `destination`: one group per seller, from that
/// seller's origin with the weight of that seller's lines, listing every courier service with
/// its cost and etd. Each group is a stored quote with an id and an expiry: checkout charges
/// its price. Asking again within half a quote's life answers the same quote.
#[utoipa::path(
    get, path = "/v1/shipping/quotes", tag = "shipping",
    security(("bearer" = [])),
    params(QuoteParams),
    responses(
        (status = 200, description = "One quote per seller", body = QuotesAnswer),
        (status = 400, description = "`destination` missing or not a positive number, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a buyer", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty cart, an unknown destination, or a seller without a shipping origin (`seller_id`)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "RajaOngkir answered something unreadable; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "RajaOngkir is down or rate-limited (`Retry-After`), or shipping is not configured; nothing stored", body = Problem, content_type = "application/problem+json"),
    )
)]
async fn quotes(
    State(state): State<AppState>,
    user: AuthUser,
    params: Result<axum::extract::Query<QuoteParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    user.require(&[Role::Buyer])?;
    let params = params.map_err(bad_query)?.0;
    if params.destination == 0 {
        return Err(ApiError::BadRequest(
            "destination must be a positive id".into(),
        ));
    }
    let groups = shipping::quote_cart(&state, actor(&user), params.destination).await?;
    let body = json!({
        "destination": params.destination,
        "groups": groups.iter().map(group_json).collect::<Vec<_>>(),
        "currency": "IDR",
    });
    Ok(axum::Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;
    use uuid::Uuid;

    use super::*;
    use crate::rajaongkir::UnavailableCause;

    async fn answer(error: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, retry, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_refusal_about_a_parcel_is_422_naming_the_seller() {
        let seller_id = Uuid::now_v7();
        let (status, _, body) = answer(refusal_problem(&ShippingRefusal::QuoteExpired {
            seller_id,
        }))
        .await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["title"], "Shipping quote expired");
        assert_eq!(body["seller_id"], json!(seller_id));
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains(&seller_id.to_string())
        );
    }

    #[tokio::test]
    async fn rajaongkir_down_is_503_with_its_retry_after_or_ours() {
        let limited = ShippingError::Unavailable {
            cause: UnavailableCause::RateLimited,
            retry_after: Some(Duration::from_secs(42)),
            detail: "HTTP 429".into(),
        };
        let (status, retry, body) = answer(provider_problem(&limited)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("42"));
        assert_eq!(body["title"], "Shipping rates unavailable");
        assert!(
            !body.to_string().contains("HTTP 429"),
            "our own detail stays in the log"
        );

        let down = ShippingError::Unavailable {
            cause: UnavailableCause::Timeout,
            retry_after: None,
            detail: "timed out".into(),
        };
        let (status, retry, _) = answer(provider_problem(&down)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("10"));

        let garbled = ShippingError::InvalidResponse {
            detail: "not JSON".into(),
        };
        assert_eq!(
            answer(provider_problem(&garbled)).await.0,
            StatusCode::BAD_GATEWAY
        );
    }

    #[tokio::test]
    async fn shipping_off_is_503_and_a_missing_destination_names_the_field() {
        let (status, _, _) = answer(refusal_problem(&ShippingRefusal::NotConfigured)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _, body) =
            answer(refusal_problem(&ShippingRefusal::DestinationRequired)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            body["errors"][0]["field"],
            "shipping_address.destination_id"
        );
    }
}
