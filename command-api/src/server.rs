//! Builds the command API from a [`Config`], a bound listener and a shutdown future: connects
//! the event store, migrates, sets up the first admin, starts the processes and serves the
//! router of [`crate::http`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use pasar_domain::values::Email;
use pasar_events::runtime::{Processor, Runtime};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::app::accounts::{self, AdminBootstrapError, Registration};
use crate::app::{AppError, AppState, Rule};
use crate::config::Config;
use crate::midtrans::Midtrans;
use crate::passwords::{PasswordLimits, Passwords};
use crate::processes::account_access::AccountAccess;
use crate::processes::auto_complete::AutoCompleter;
use crate::processes::avatars::AvatarThumbnails;
use crate::processes::expiry::ExpirySweeper;
use crate::processes::imports::Imports;
use crate::processes::notifications::Notifications;
use crate::processes::order_flow::OrderFlow;
use crate::processes::order_refunds::OrderRefunds;
use crate::processes::review_lines::ReviewLines;
use crate::processes::thumbnails::Thumbnails;
use crate::processes::wallet_credits::WalletCredits;
use crate::throttle::LoginThrottle;

/// Connects, migrates, starts the processes and serves until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = connect(config).await?;
    state.metrics.install_global();
    let access_follower = state.access.spawn(state.config.database_url.clone());
    serve(state, listener, shutdown).await?;
    access_follower.abort();
    Ok(())
}

/// Connects the event store and PostgreSQL and migrates: everything a use case needs, for the
/// service and for the command-line tools (`command-api admin create`).
pub async fn connect(config: Config) -> anyhow::Result<AppState> {
    let metrics = pasar_service::metrics::Registry::new();
    let (store, pool) = pasar_events::select::connect(
        &config.event_store,
        &config.database_url,
        config.database_pool_size,
    )
    .await?;
    tracing::info!(backend = config.event_store.name(), "event store connected");
    tracing::info!(media = ?config.media, "product images stored in");
    pasar_events::runtime::migrate(&pool, &[crate::processes::MIGRATIONS]).await?;
    let state = AppState {
        midtrans: Midtrans::new(config.midtrans.clone())?,
        shipping: match &config.shipping {
            Some(shipping) => Some(crate::rajaongkir::RajaOngkir::new(
                shipping.rajaongkir.clone(),
            )?),
            None => None,
        },
        store,
        pool,
        tokens: Arc::new(pasar_service::auth::TokenVerifier::new(&config.jwt_secret)),
        metrics,
        passwords: Passwords::new(PasswordLimits::from_cores()),
        login_throttle: Arc::new(LoginThrottle::default()),
        media: crate::media::Media::new(config.media.open()?),
        access: pasar_service::access::AccessList::new(),
        config: Arc::new(config),
    };
    Ok(state)
}

async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if let Some((email, password)) = &state.config.admin {
        bootstrap_admin(&state, email, password.expose()).await?;
    }
    let stop = CancellationToken::new();
    let tasks = if state.config.reactors_enabled {
        let runtime = Runtime::new(
            state.store.clone(),
            state.pool.clone(),
            state.config.database_url.clone(),
        );
        runtime.spawn(processors(&state), stop.clone())
    } else {
        Vec::new()
    };
    tracing::info!(addr = %listener.local_addr()?, "command API listening");
    // The peer address is the login throttle's client key.
    let app = crate::http::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    // Processes stop between batches: what they had begun commits or rolls back whole.
    stop.cancel();
    for task in tasks {
        let _ = task.await;
    }
    Ok(())
}

/// Every process this service hosts (one line each).
pub fn processors(state: &AppState) -> Vec<Arc<dyn Processor>> {
    vec![
        Arc::new(OrderFlow::new(state.store.clone())),
        Arc::new(OrderRefunds::new(
            state.store.clone(),
            state.pool.clone(),
            state.midtrans.clone(),
        )),
        Arc::new(AutoCompleter::new(
            state.store.clone(),
            state.pool.clone(),
            state.config.order_auto_complete,
        )),
        Arc::new(Thumbnails::new(state.store.clone(), state.media.clone())),
        Arc::new(AvatarThumbnails::new(
            state.store.clone(),
            state.media.clone(),
        )),
        Arc::new(ExpirySweeper::new(
            state.store.clone(),
            state.pool.clone(),
            state.midtrans.clone(),
            state.config.expiry_sweep_interval,
        )),
        Arc::new(Imports::new(state.clone())),
        Arc::new(Notifications::from_config(
            state.pool.clone(),
            &state.config.mail,
        )),
        Arc::new(WalletCredits::new(state.store.clone(), state.pool.clone())),
        Arc::new(AccountAccess::new(state.clone())),
        Arc::new(ReviewLines),
    ]
}

/// Creates the first admin from configuration. Refuses (and the service with it) a weak
/// password or an email that someone else registered first.
pub async fn bootstrap_admin(
    state: &AppState,
    email: &str,
    password: &str,
) -> Result<(), AdminBootstrapError> {
    let email = Email::parse(email).map_err(|_| AdminBootstrapError::InvalidEmail)?;
    if !accounts::is_strong_admin_password(password) {
        return Err(AdminBootstrapError::WeakPassword);
    }
    if accounts::admin_status(state.store.as_ref(), &email)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let password_hash = state
        .passwords
        .hash(password.to_owned())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing the admin password: {e}")))?;
    let registration = Registration {
        email: email.clone(),
        full_name: pasar_domain::values::Text::parse("Administrator")
            .map_err(|e| AppError::Internal(e.into()))?,
        role: pasar_events::types::Role::Admin,
        password_hash,
    };
    match accounts::register(state, registration, None).await {
        Ok(_) => tracing::info!("created the first admin account from PASAR_ADMIN_EMAIL"),
        // Another instance created it at the same moment; check it is the admin.
        Err(AppError::Rejected(Rule::EmailTaken)) => {
            accounts::admin_status(state.store.as_ref(), &email).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
