//! `command-api admin create --email …`: creates the first admin, or promotes an existing
//! account to admin, from the operator's shell. Beside the start-up variables
//! (`PASAR_ADMIN_EMAIL`/`PASAR_ADMIN_PASSWORD`, [`crate::server::bootstrap_admin`]), for a shop
//! that should not keep an admin password in its environment.

use pasar_domain::customer::{Customer, CustomerCommand};
use pasar_domain::values::Email;
use pasar_events::types::{Role, streams};
use uuid::Uuid;

use super::accounts::{self, AdminBootstrapError};
use super::exec::{EventIds, execute};
use super::{AppError, AppState, access};

/// What `admin create` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSetUp {
    /// No account had the email: an admin account was registered with the password.
    Created(Uuid),
    /// The account existed and its password matched: it is an admin now.
    Promoted(Uuid),
    /// The account was an admin already; nothing was recorded.
    AlreadyAdmin(Uuid),
}

/// Why `admin create` refused (the CLI prints it and exits with status 1).
#[derive(Debug, thiserror::Error)]
pub enum FirstAdminError {
    #[error(transparent)]
    Bootstrap(#[from] AdminBootstrapError),
    #[error(
        "an account with this email exists and the password given is not its password; nothing changed"
    )]
    PasswordMismatch,
}

impl From<AppError> for FirstAdminError {
    fn from(e: AppError) -> Self {
        FirstAdminError::Bootstrap(AdminBootstrapError::Failed(e))
    }
}

/// Creates the admin `email` with `password`, or promotes the account `email` if `password`
/// is its password (so the shell alone cannot take over someone's account). A new admin's
/// password must be strong (as for the start-up variables).
pub async fn create_or_promote(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<AdminSetUp, FirstAdminError> {
    let email = Email::parse(email).map_err(|_| AdminBootstrapError::InvalidEmail)?;
    match accounts::customer_by_email(state.store.as_ref(), &email).await? {
        None => {
            crate::server::bootstrap_admin(state, email.as_str(), password).await?;
            let created = accounts::customer_by_email(state.store.as_ref(), &email).await?;
            let id = created.and_then(|c| c.id).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("the new admin cannot be read back"))
            })?;
            Ok(AdminSetUp::Created(id))
        }
        Some(existing) => promote(state, existing, password).await,
    }
}

async fn promote(
    state: &AppState,
    existing: Customer,
    password: &str,
) -> Result<AdminSetUp, FirstAdminError> {
    let id = existing
        .id
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a registered account has an id")))?;
    if existing.role == Some(Role::Admin) {
        return Ok(AdminSetUp::AlreadyAdmin(id));
    }
    let hash = Some(existing.password_hash.clone());
    let matches = state
        .passwords
        .verify(password.to_owned(), hash)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("checking the password: {e}")))?;
    if !matches {
        return Err(FirstAdminError::PasswordMismatch);
    }
    let command = CustomerCommand::ChangeRole { role: Role::Admin };
    let metadata = pasar_events::Metadata {
        correlation_id: Some(Uuid::now_v7()),
        ..pasar_events::Metadata::default()
    };
    let stream = streams::customer(id);
    execute::<Customer>(&state.store, &stream, &command, EventIds::Random, &metadata).await?;
    access::record(state, id).await?;
    Ok(AdminSetUp::Promoted(id))
}
