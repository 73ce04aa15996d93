//! An admin's actions on other accounts: suspend, reinstate, change the role. Each is a
//! command on the account's customer stream with the admin as its actor (so it shows in that
//! user's activity), followed at once by the `account_access` row every service checks
//! tokens against ([`super::access`]). What a suspension sets off beyond the account (open
//! checkouts cancelled, products hidden) follows from its event: the `account-access`
//! processor and the read models.

use chrono::Utc;
use pasar_domain::customer::{Customer, CustomerCommand};
use pasar_events::types::{Role, streams};
use uuid::Uuid;

use super::exec::{Outcome, execute};
use super::idempotency::{self, Idempotency};
use super::{Actor, AppError, AppState, Rule, access};

/// What an admin does to an account.
#[derive(Debug, Clone)]
pub enum AdminAction {
    Suspend { reason: String },
    Reinstate,
    ChangeRole { role: Role },
}

impl AdminAction {
    fn name(&self) -> &'static str {
        match self {
            AdminAction::Suspend { .. } => "admin-suspend",
            AdminAction::Reinstate => "admin-reinstate",
            AdminAction::ChangeRole { .. } => "admin-role",
        }
    }

    fn command(self) -> CustomerCommand {
        let now = Utc::now();
        match self {
            AdminAction::Suspend { reason } => CustomerCommand::Suspend { reason, now },
            AdminAction::Reinstate => CustomerCommand::Reinstate { now },
            AdminAction::ChangeRole { role } => CustomerCommand::ChangeRole { role },
        }
    }
}

/// Runs `action` on `customer_id`'s account as `actor`, who must be an admin acting on
/// someone else (an admin cannot suspend or demote themselves and lock the shop out). An
/// unknown account is the domain's `NotRegistered`. Answers the account as it is after.
pub async fn act(
    state: &AppState,
    actor: Actor,
    customer_id: Uuid,
    action: AdminAction,
    key: Option<&Idempotency>,
) -> Result<Outcome<Customer>, AppError> {
    if actor.role != Role::Admin {
        return Err(Rule::AdminOnly.into());
    }
    if actor.id == customer_id {
        return Err(Rule::OwnAccount.into());
    }
    let ids = idempotency::event_ids(state, action.name(), actor.id, key).await?;
    let stream = streams::customer(customer_id);
    let command = action.command();
    let outcome =
        execute::<Customer>(&state.store, &stream, &command, ids, &actor.metadata()).await?;
    access::record(state, customer_id).await?;
    Ok(outcome)
}
