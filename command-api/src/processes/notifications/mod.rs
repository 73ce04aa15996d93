//! Email notifications: buyers hear of each step of their orders (placed, paid, shipped with
//! the tracking number, delivered, cancelled, refunded) and of wallet top-ups; sellers hear
//! when an order of theirs is paid (ship it) and when a product's available stock falls to
//! its low-stock threshold (`ProductLowStockThresholdSet`, default 5). In Indonesian unless
//! the recipient chose English ([`facts::set_locale`]), as plain text and HTML
//! ([`templates`]), through SMTP or the log ([`mailer`]).
//!
//! Per batch, in log order: each event first feeds the processor's own tables ([`facts`],
//! through the batch transaction, so they move with the checkpoint; the batch's listed products
//! are recorded and its stock levels read in one statement each before its first event, kept in
//! memory and written once per batch, [`facts::StockLevels`]), then its mails are composed
//! ([`compose`]) and sent one by one ([`Notifications::deliver`]).
//!
//! At most one mail per event and kind, across crashes, retries and rebuilds: the mail's
//! identity is (event id, kind), its Message-ID `<event id>.<kind>@<sender's domain>`, and
//! [`sends`] claims it before the SMTP transaction and marks it after (see there for the one
//! window that cannot be known, a crash between the server's acceptance and the record: such
//! a mail is flagged `uncertain`, never sent twice). An SMTP server that is down fails the
//! batch and the runtime retries it with backoff: mail waits, none is lost. A mail the server
//! refuses for good (5xx) is recorded `failed` and skipped, so one bad address cannot hold up
//! everyone's mail. Events recorded before the notifications table existed are learnt from
//! but never mailed about (`notification_cutoff`). Not replay-safe: rebuilds never run it.

pub mod compose;
#[cfg(test)]
mod db_tests;
pub mod facts;
pub mod mailer;
pub mod sends;
pub mod templates;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Pool, Transaction};
use pasar_events::postgres::cached;
use pasar_events::runtime::{ProcessError, Processor};
use pasar_events::types::streams::{self, Category};
use pasar_events::types::{
    CustomerEvent, OrderEvent, ProductEvent, StockEvent, WalletCreditSource, WalletEvent,
};
use pasar_events::{DomainEvent, RecordedEvent};
use uuid::Uuid;

use self::compose::Mail;
use self::facts::StockLevels;
use self::mailer::{MailConfig, Mailer, Outgoing, SendError};
use self::sends::Claim;
use self::templates::{Locale, Templates};
use super::process_error;

pub const NAME: &str = "notifications";

pub struct Notifications {
    pool: Pool,
    /// `None`: mails are off (production without `SMTP_URL`); the facts are still kept.
    mailer: Option<Mailer>,
    templates: Templates,
}

impl Notifications {
    /// The processor sending through `mailer` (`None`: mails off, facts kept).
    pub fn new(pool: Pool, mailer: Option<Mailer>) -> Self {
        Notifications {
            pool,
            mailer,
            templates: Templates::new()
                .expect("invariant: the embedded mail templates compile (templates_tests)"),
        }
    }

    /// The processor `config` asks for.
    pub fn from_config(pool: Pool, config: &MailConfig) -> Self {
        let mailer = Mailer::new(config)
            .expect("invariant: MailConfig::read checked SMTP_URL and MAIL_FROM");
        Self::new(pool, mailer)
    }

    /// Feeds `event` into the facts and answers the mails it gives.
    async fn learn(
        &self,
        tx: &Transaction<'_>,
        event: &RecordedEvent,
        levels: &mut StockLevels,
    ) -> Result<Vec<Mail>, ProcessError> {
        let transient = |e: tokio_postgres::Error| ProcessError::transient(e);
        let Some(id) = streams::id_of(&event.stream) else {
            return Ok(Vec::new());
        };
        match Category::of(&event.stream) {
            Some(Category::Customer) => {
                learn_customer(tx, id, decode(event)?)
                    .await
                    .map_err(transient)?;
                Ok(Vec::new())
            }
            Some(Category::Product) => {
                learn_product(tx, id, decode(event)?, levels)
                    .await
                    .map_err(transient)?;
                Ok(Vec::new())
            }
            Some(Category::Stock) => {
                let available = match decode(event)? {
                    StockEvent::StockReceived { available, .. }
                    | StockEvent::StockAdjusted { available, .. }
                    | StockEvent::StockReserved { available, .. }
                    | StockEvent::ReservationReleased { available, .. }
                    | StockEvent::ReservationCommitted { available, .. }
                    | StockEvent::StockReturned { available, .. } => available,
                };
                let Some(low) = levels.moved(tx, id, available).await.map_err(transient)? else {
                    return Ok(Vec::new());
                };
                let mail = compose::low_stock_mail(tx, low).await.map_err(transient)?;
                Ok(mail.into_iter().collect())
            }
            Some(Category::Order) => compose::order_mails(tx, id, decode::<OrderEvent>(event)?)
                .await
                .map_err(transient),
            Some(Category::Wallet) => match decode::<WalletEvent>(event)? {
                WalletEvent::WalletCredited {
                    amount,
                    source: WalletCreditSource::TopUp { .. },
                    ..
                } => {
                    let mail = compose::wallet_topped_up(tx, id, amount.amount)
                        .await
                        .map_err(transient)?;
                    Ok(mail.into_iter().collect())
                }
                _ => Ok(Vec::new()),
            },
            _ => Ok(Vec::new()),
        }
    }

    /// Sends `mail` about `event_id` unless it was sent (or maybe sent) before.
    async fn deliver(&self, event_id: Uuid, mail: &Mail) -> Result<(), ProcessError> {
        let Some(mailer) = &self.mailer else {
            return Ok(());
        };
        let kind = mail.kind.as_str();
        let message_id = format!("{event_id}.{kind}@{}", mailer.domain());
        let content = self
            .templates
            .render(mail.kind, mail.to.locale, &mail.fields())
            .map_err(ProcessError::fatal)?;
        let claim = sends::claim(&self.pool, event_id, mail.kind, &mail.to.email, &message_id)
            .await
            .map_err(process_error)?;
        match claim {
            Claim::Send => {}
            Claim::AlreadySent => return Ok(()),
            Claim::Uncertain => {
                tracing::error!(%message_id, "mail claimed by an attempt that died before recording its end: maybe sent, not sent again; check the SMTP server's log");
                counted(kind, "uncertain");
                return Ok(());
            }
        }
        let outgoing = Outgoing {
            to_email: &mail.to.email,
            to_name: &mail.to.full_name,
            message_id: &message_id,
            content: &content,
        };
        let sent = mailer.send(&outgoing).await;
        self.record(event_id, mail, &message_id, sent).await
    }

    /// Records how sending `mail` ended: sent; refused for good (skipped); or not now (the
    /// batch fails and is retried).
    async fn record(
        &self,
        event_id: Uuid,
        mail: &Mail,
        message_id: &str,
        sent: Result<(), SendError>,
    ) -> Result<(), ProcessError> {
        let kind = mail.kind.as_str();
        let error = match sent {
            Ok(()) => {
                crate::crash::point("notifications.accepted");
                sends::sent(&self.pool, event_id, mail.kind)
                    .await
                    .map_err(process_error)?;
                counted(kind, "sent");
                return Ok(());
            }
            Err(error) => error,
        };
        let text = error.to_string();
        sends::failed(&self.pool, event_id, mail.kind, &text)
            .await
            .map_err(process_error)?;
        match error {
            SendError::Refused(_) => {
                tracing::warn!(%message_id, error = %text, "mail refused for good; skipped");
                counted(kind, "refused");
                Ok(())
            }
            SendError::Unavailable(_) => {
                counted(kind, "unavailable");
                Err(ProcessError::transient(error))
            }
        }
    }
}

#[async_trait]
impl Processor for Notifications {
    fn name(&self) -> &str {
        NAME
    }

    fn categories(&self) -> &[Category] {
        &[
            Category::Customer,
            Category::Product,
            Category::Stock,
            Category::Order,
            Category::Wallet,
        ]
    }

    fn batch_size(&self) -> usize {
        // The batch transaction stays open while its mails go out: keep it short.
        100
    }

    async fn handle(
        &self,
        events: &[RecordedEvent],
        tx: &Transaction<'_>,
    ) -> Result<(), ProcessError> {
        let cutoff = cutoff(tx).await?;
        let mut levels = StockLevels::default();
        prepare(tx, events, &mut levels).await?;
        for event in events {
            let mails = self.learn(tx, event, &mut levels).await?;
            if event.recorded_at < cutoff {
                continue;
            }
            for mail in &mails {
                self.deliver(event.event_id, mail).await?;
            }
        }
        levels.flush(tx).await.map_err(ProcessError::transient)
    }
}

async fn learn_customer(
    tx: &Transaction<'_>,
    id: Uuid,
    event: CustomerEvent,
) -> Result<(), tokio_postgres::Error> {
    match event {
        CustomerEvent::CustomerRegistered {
            email, full_name, ..
        } => facts::record_customer(tx, id, &email, &full_name).await,
        CustomerEvent::RegistrationAbandoned { .. } => facts::forget_customer(tx, id).await,
        CustomerEvent::CustomerProfileUpdated {
            full_name, locale, ..
        } => {
            facts::set_name(tx, id, &full_name).await?;
            let locale = match locale {
                pasar_events::types::Locale::Id => Locale::Id,
                pasar_events::types::Locale::En => Locale::En,
            };
            facts::set_locale(tx, id, locale).await
        }
        _ => Ok(()),
    }
}

/// What a batch needs before its events are learnt one by one, each in one statement rather
/// than one per event: the products it lists, recorded (a product's listing is the first
/// event of its stream, so nothing of the batch can touch its row before), and the rows of the
/// products whose stock it moves, read.
async fn prepare(
    tx: &Transaction<'_>,
    events: &[RecordedEvent],
    levels: &mut StockLevels,
) -> Result<(), ProcessError> {
    let mut listed = Vec::new();
    let mut stocked = Vec::new();
    for event in events {
        let Some(id) = streams::id_of(&event.stream) else {
            continue;
        };
        match Category::of(&event.stream) {
            Some(Category::Product) if event.event_type == "ProductListed" => {
                if let ProductEvent::ProductListed {
                    seller_id,
                    sku,
                    name,
                    ..
                } = decode(event)?
                {
                    listed.push(facts::Listed {
                        product_id: id,
                        seller_id,
                        sku,
                        name,
                    });
                }
            }
            Some(Category::Stock) => stocked.push(id),
            _ => {}
        }
    }
    facts::record_products(tx, &listed)
        .await
        .map_err(ProcessError::transient)?;
    levels
        .load(tx, &stocked)
        .await
        .map_err(ProcessError::transient)
}

/// A product's later events (its listing is recorded by [`prepare`]). Before the product's
/// row changes, its level as moved so far in the batch is written (and read again later).
async fn learn_product(
    tx: &Transaction<'_>,
    id: Uuid,
    event: ProductEvent,
    levels: &mut StockLevels,
) -> Result<(), tokio_postgres::Error> {
    match event {
        ProductEvent::ProductEdited {
            name: Some(name), ..
        } => {
            levels.forget(tx, id).await?;
            facts::rename_product(tx, id, &name).await
        }
        ProductEvent::ProductLowStockThresholdSet { threshold } => {
            levels.forget(tx, id).await?;
            facts::set_threshold(tx, id, threshold).await
        }
        _ => Ok(()),
    }
}

fn decode<E: DomainEvent>(event: &RecordedEvent) -> Result<E, ProcessError> {
    E::decode(event).map_err(ProcessError::fatal)
}

/// When mails began: events recorded earlier are history.
async fn cutoff(tx: &Transaction<'_>) -> Result<DateTime<Utc>, ProcessError> {
    let row = cached::query_one(tx, "SELECT since FROM notification_cutoff", &[])
        .await
        .map_err(ProcessError::transient)?;
    Ok(row.get(0))
}

fn counted(kind: &'static str, outcome: &'static str) {
    metrics::counter!("pasar_notifications_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
}
