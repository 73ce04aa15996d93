//! Where mails go: an SMTP server (`SMTP_URL`, through `lettre`), the log (development mode
//! without `SMTP_URL`), or nowhere (production without `SMTP_URL`: the processor keeps its
//! facts current and sends nothing, and says so at start-up).

use std::time::Duration;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use pasar_service::{Env, Secret};

use super::templates::Rendered;

/// Mail settings, read at start-up.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// The SMTP server (`SMTP_URL`, e.g. `smtp://127.0.0.1:2525`,
    /// `smtps://user:password@smtp.example.com`, `smtp://host:587?tls=required`). It may hold
    /// a password, so it is a [`Secret`].
    pub smtp_url: Option<Secret>,
    /// The sender (`MAIL_FROM`, default `Pasar <no-reply@pasar.id>`); its domain ends every
    /// Message-ID.
    pub from: Mailbox,
    /// Development mode: without `SMTP_URL`, mails are written to the log.
    pub development: bool,
}

/// How long one SMTP conversation may take before it counts as failed (and is retried).
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

impl MailConfig {
    pub fn read(env: &Env) -> anyhow::Result<Self> {
        let smtp_url = env.get("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url {
            // Checked now so a typo stops the start, not the first mail; the URL is not
            // repeated in the message (it may hold a password).
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()).map_err(|e| {
                anyhow::anyhow!(
                    "invalid SMTP_URL ({e}): expected smtp://host:port, smtps://… or smtp://…?tls=required"
                )
            })?;
        }
        let from = env
            .get_or("MAIL_FROM", "Pasar <no-reply@pasar.id>")
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid MAIL_FROM: {e}"))?;
        Ok(MailConfig {
            smtp_url,
            from,
            development: env.development()?,
        })
    }
}

/// One outgoing mail.
pub struct Outgoing<'a> {
    pub to_email: &'a str,
    pub to_name: &'a str,
    /// Without angle brackets: `<event id>.<kind>@<sender's domain>`.
    pub message_id: &'a str,
    pub content: &'a Rendered,
}

/// Why a mail did not go.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Down, unreachable, timed out or answered 4xx: try again later.
    #[error("SMTP server unavailable: {0}")]
    Unavailable(String),
    /// Never deliverable as it is (the server answered 5xx, or the address or message is
    /// unusable).
    #[error("mail refused: {0}")]
    Refused(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// Sends mails from one sender.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

impl Mailer {
    /// The mailer `config` asks for; `None` when mails are off (production without
    /// `SMTP_URL`). Inside a Tokio runtime (the SMTP connection pool starts a task).
    pub fn new(config: &MailConfig) -> anyhow::Result<Option<Mailer>> {
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("SMTP_URL")?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            None if config.development => {
                tracing::warn!(
                    "DEVELOPMENT MODE: SMTP_URL is not set, so notification mails are written to the log instead of sent"
                );
                Transport::Log
            }
            None => {
                tracing::warn!(
                    "SMTP_URL is not set: no notification mails are sent (set it to send them)"
                );
                return Ok(None);
            }
        };
        Ok(Some(Mailer {
            transport,
            from: config.from.clone(),
        }))
    }

    /// The domain Message-IDs end with: the sender's.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// Sends `mail`; `Ok` once the server accepted it (or it was logged).
    pub async fn send(&self, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let message = self.message(mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() || e.is_client() {
                    SendError::Refused(e.to_string())
                } else {
                    SendError::Unavailable(e.to_string())
                }
            }),
            Transport::Log => {
                tracing::info!(
                    to = mail.to_email,
                    subject = %mail.content.subject,
                    message_id = mail.message_id,
                    text = %mail.content.text,
                    "mail (development: logged, not sent)"
                );
                Ok(())
            }
        }
    }

    fn message(&self, mail: &Outgoing<'_>) -> Result<Message, SendError> {
        let refused = |e: &dyn std::fmt::Display| SendError::Refused(e.to_string());
        let to = Mailbox::new(
            Some(mail.to_name.to_owned()),
            mail.to_email.parse().map_err(|e| refused(&e))?,
        );
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.content.subject.clone())
            .message_id(Some(format!("<{}>", mail.message_id)))
            .multipart(MultiPart::alternative_plain_html(
                mail.content.text.clone(),
                mail.content.html.clone(),
            ))
            .map_err(|e| refused(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<MailConfig> {
        MailConfig::read(&Env::from_pairs(pairs))
    }

    #[test]
    fn without_smtp_url_mails_are_logged_in_development_and_off_in_production() {
        let development = config(&[("PASAR_ENV", "development")]).unwrap();
        assert!(Mailer::new(&development).unwrap().is_some());
        let production = config(&[]).unwrap();
        assert!(Mailer::new(&production).unwrap().is_none());
    }

    #[tokio::test]
    async fn the_smtp_url_is_checked_at_start_up_and_never_shown() {
        let error = config(&[("SMTP_URL", "http://mail.example")]).unwrap_err();
        assert!(format!("{error:#}").contains("SMTP_URL"), "{error:#}");
        let url = "smtps://pasar:s3cret-password@smtp.example.com";
        let error = format!(
            "{:#}",
            config(&[("SMTP_URL", url), ("MAIL_FROM", "nope")]).unwrap_err()
        );
        assert!(
            error.contains("MAIL_FROM") && !error.contains("s3cret"),
            "{error}"
        );
        let read = config(&[("SMTP_URL", url)]).unwrap();
        assert!(!format!("{read:?}").contains("s3cret"), "{read:?}");
        let mailer = Mailer::new(&read).unwrap().expect("mails on");
        assert_eq!(mailer.domain(), "pasar.id");
    }

    #[tokio::test]
    async fn a_logged_mail_counts_as_sent() {
        let mailer = Mailer::new(&config(&[("PASAR_ENV", "development")]).unwrap())
            .unwrap()
            .unwrap();
        let content = Rendered {
            subject: "Pesanan 1 berhasil dibuat".into(),
            text: "Halo".into(),
            html: "<p>Halo</p>".into(),
        };
        let mail = Outgoing {
            to_email: "ani@pasar.test",
            to_name: "Ani",
            message_id: "e.order_placed@pasar.id",
            content: &content,
        };
        mailer.send(&mail).await.unwrap();
        let unusable = Outgoing {
            to_email: "not an address",
            ..mail
        };
        assert!(matches!(
            mailer.send(&unusable).await,
            Err(SendError::Refused(_))
        ));
    }
}
