//! Bearer access tokens: HS256 JWTs issued by the command API, checked by
//! [`pasar_service::auth`]. Implementing [`Authenticates`] makes [`AuthUser`] an extractor
//! for [`AppState`] that rejects with [`ApiError`].

use pasar_service::auth::Authenticates;

pub use pasar_service::AuthUser;
pub use pasar_service::auth::{ISSUER, TokenVerifier};

use crate::AppState;
use crate::error::ApiError;

impl Authenticates for AppState {
    type Rejection = ApiError;

    fn token_verifier(&self) -> &TokenVerifier {
        &self.tokens
    }

    fn access_list(&self) -> &pasar_service::access::AccessList {
        &self.access
    }
}
