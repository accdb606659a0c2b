//! Sending email: over SMTP when `CONDUIT_SMTP_URL` is set, otherwise as `.eml` files in
//! the mail folder, so that a fresh install shows what it would have sent.

use std::path::PathBuf;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport};

use super::JobError;
use crate::config::Secret;

/// Where mail goes.
pub struct Mailer {
    smtp: Option<SmtpTransport>,
    dir: PathBuf,
    from: Mailbox,
}

/// One email, rendered.
pub struct Email {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// The one-click unsubscribe URL (also sent as `List-Unsubscribe`); `None` for the
    /// account's own security mail, which cannot be turned off.
    pub unsubscribe: Option<String>,
}

/// The `List-Unsubscribe` header, which lettre has no type for.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim_matches(['<', '>']).to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mail clients may
/// unsubscribe with one POST to the `List-Unsubscribe` URL, which the site accepts.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

impl Mailer {
    /// SMTP to `smtp_url` (`smtp://user:pass@host:port`), or files in `dir` when `None`.
    pub fn new(smtp_url: Option<&Secret>, dir: PathBuf, from: &str) -> Result<Self, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("invalid CONDUIT_MAIL_FROM: {e}"))?;
        let smtp = match smtp_url {
            Some(url) => {
                let url = std::str::from_utf8(url.expose())
                    .map_err(|_| "CONDUIT_SMTP_URL is not UTF-8".to_owned())?;
                // The URL may hold a password: the error must not repeat it.
                let transport = SmtpTransport::from_url(url)
                    .map_err(|_| "CONDUIT_SMTP_URL is not a valid smtp:// URL".to_owned())?
                    .build();
                Some(transport)
            }
            None => None,
        };
        Ok(Self { smtp, dir, from })
    }

    /// Where `.eml` files go when there is no SMTP server.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Sends `email`. In file mode it is written as `<name>.eml`, so that a re-run of the
    /// same job rewrites the same file rather than adding a second one.
    pub fn send(&self, name: &str, email: Email) -> Result<(), JobError> {
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e| JobError::Permanent(format!("bad recipient address: {e}")))?;
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject);
        if let Some(unsubscribe) = email.unsubscribe {
            message = message
                .header(ListUnsubscribe(unsubscribe))
                .header(ListUnsubscribePost);
        }
        let message = message
            .multipart(MultiPart::alternative_plain_html(email.text, email.html))
            .map_err(|e| JobError::Permanent(format!("cannot build the message: {e}")))?;
        match &self.smtp {
            Some(smtp) => smtp
                .send(&message)
                .map(drop)
                .map_err(|e| JobError::Retry(format!("SMTP: {e}"))),
            None => self.write_file(name, &message.formatted()),
        }
    }

    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), JobError> {
        let io = |e: std::io::Error| JobError::Retry(format!("mail folder: {e}"));
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        let target = self.dir.join(format!("{name}.eml"));
        let partial = self.dir.join(format!(".{name}.eml.partial"));
        std::fs::write(&partial, bytes).map_err(io)?;
        // Readers never see half a file.
        std::fs::rename(&partial, &target).map_err(io)
    }
}
