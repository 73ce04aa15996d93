//! The mails' words: minijinja templates kept in `command-api/templates/mail/<locale>/` and
//! embedded in the binary. Per locale: `subjects.txt` (one block per kind: its subject line,
//! rendered alone; the file extends `subjects_layout.txt`, which renders none of them),
//! `layout.txt` and `layout.html` (greeting and footer), and per kind `<kind>.txt` and
//! `<kind>.html`. HTML templates escape every value (autoescape by the `.html` name), so a
//! product or person's name can never become markup; text templates do not. An unknown
//! variable is an error, not an empty string (strict undefined), and the tests render every
//! kind in every locale.

use minijinja::{Environment, UndefinedBehavior};
use serde_json::Value;

/// The language of a recipient's mails: Indonesian unless they chose English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Id,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::Id, Locale::En];

    /// The code stored in `notification_recipients.locale` and used as the template folder.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::Id => "id",
            Locale::En => "en",
        }
    }

    /// `id` or `en` (a language tag's region is ignored: `en-US` is English); anything else
    /// is `None`.
    pub fn parse(code: &str) -> Option<Locale> {
        let language = code.split(['-', '_']).next().unwrap_or_default();
        match language.to_ascii_lowercase().as_str() {
            "id" => Some(Locale::Id),
            "en" => Some(Locale::En),
            _ => None,
        }
    }
}

/// What a mail is about; with the event id, its identity (Message-ID, the sends table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    OrderPlaced,
    OrderPaid,
    OrderShipped,
    OrderDelivered,
    OrderCancelled,
    OrderRefunded,
    /// A wallet top-up settled (the wallet's `WalletCredited` from a top-up).
    WalletToppedUp,
    /// To the seller: an order of theirs is paid and needs shipping.
    SellerOrderToShip,
    /// To the seller: a product's available stock fell to its low-stock threshold.
    SellerLowStock,
}

impl MailKind {
    pub const ALL: [MailKind; 9] = [
        MailKind::OrderPlaced,
        MailKind::OrderPaid,
        MailKind::OrderShipped,
        MailKind::OrderDelivered,
        MailKind::OrderCancelled,
        MailKind::OrderRefunded,
        MailKind::WalletToppedUp,
        MailKind::SellerOrderToShip,
        MailKind::SellerLowStock,
    ];

    /// The template name and the `kind` column of the sends table.
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::OrderPlaced => "order_placed",
            MailKind::OrderPaid => "order_paid",
            MailKind::OrderShipped => "order_shipped",
            MailKind::OrderDelivered => "order_delivered",
            MailKind::OrderCancelled => "order_cancelled",
            MailKind::OrderRefunded => "order_refunded",
            MailKind::WalletToppedUp => "wallet_topped_up",
            MailKind::SellerOrderToShip => "seller_order_to_ship",
            MailKind::SellerLowStock => "seller_low_stock",
        }
    }
}

/// A mail ready to send: subject, plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `(name, source)` of every template of one locale folder.
macro_rules! locale_templates {
    ($locale:literal) => {
        locale_templates!($locale;
            "subjects.txt", "layout.txt", "layout.html",
            "order_placed.txt", "order_placed.html", "order_paid.txt", "order_paid.html",
            "order_shipped.txt", "order_shipped.html", "order_delivered.txt", "order_delivered.html",
            "order_cancelled.txt", "order_cancelled.html", "order_refunded.txt", "order_refunded.html",
            "wallet_topped_up.txt", "wallet_topped_up.html",
            "seller_order_to_ship.txt", "seller_order_to_ship.html",
            "seller_low_stock.txt", "seller_low_stock.html"
        )
    };
    ($locale:literal; $($file:literal),*) => {
        [$((
            concat!($locale, "/", $file),
            include_str!(concat!("../../../templates/mail/", $locale, "/", $file)),
        )),*]
    };
}

const INDONESIAN: [(&str, &str); 21] = locale_templates!("id");
const ENGLISH: [(&str, &str); 21] = locale_templates!("en");

/// The compiled templates.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Compiles every embedded template; fails only on a syntax error in one of them.
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("rupiah", rupiah);
        env.add_template(
            "subjects_layout.txt",
            include_str!("../../../templates/mail/subjects_layout.txt"),
        )?;
        for (name, source) in INDONESIAN.into_iter().chain(ENGLISH) {
            env.add_template(name, source)?;
        }
        Ok(Templates { env })
    }

    /// Renders the mail of `kind` in `locale` with `data` (a JSON object: the recipient's
    /// `name` and the kind's own fields).
    pub fn render(
        &self,
        kind: MailKind,
        locale: Locale,
        data: &Value,
    ) -> Result<Rendered, minijinja::Error> {
        let folder = locale.as_str();
        let subjects = self.env.get_template(&format!("{folder}/subjects.txt"))?;
        let subject = subjects
            .render_captured(data)?
            .with_state_mut(|state| state.render_block(kind.as_str()))?
            .trim()
            .to_owned();
        let mut data = data.clone();
        if let Some(fields) = data.as_object_mut() {
            fields.insert("subject".into(), Value::String(subject.clone()));
        }
        let body = |format: &str| {
            self.env
                .get_template(&format!("{folder}/{}.{format}", kind.as_str()))?
                .render(&data)
        };
        Ok(Rendered {
            text: body("txt")?,
            html: body("html")?,
            subject,
        })
    }
}

/// Rupiah as Indonesians write it: `Rp 1.250.000` (dots between thousands, no decimals).
pub fn rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let sign = if amount < 0 { "-" } else { "" };
    format!("{sign}Rp {grouped}")
}

#[cfg(test)]
#[path = "templates_tests.rs"]
mod tests;
