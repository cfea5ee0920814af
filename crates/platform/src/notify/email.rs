//! E-mail: rendered in the recipient's language from the templates beside this file, sent
//! over SMTP (lettre) or written to a maildir, one durable job (`notify.email`) per
//! message so a mail server that is down delays mail and loses none.
//!
//! The maildir transport writes each message as one file under `<maildir>/new/` (through
//! `tmp/`, so a reader never sees half a file): the demo uses it, and so does a server
//! that has no mail relay yet.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};
use ticorr_db::{Db, flag};
use ticorr_kernel::{NotificationId, PersonId};

use super::{Message, prefs};
use crate::jobs::Job;

const TEMPLATE_ZH: &str = include_str!("templates/email.zh-CN.txt");
const TEMPLATE_EN: &str = include_str!("templates/email.en.txt");

/// A configuration value that must never be printed (logs, `Debug`).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"(redacted)\""
        })
    }
}

/// `[mail]`: how e-mail leaves the platform.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// `maildir` (one file per message, the default) or `smtp`.
    pub transport: String,
    /// For `maildir`: the folder; empty means `<data_dir>/mail`.
    pub maildir: String,
    /// The sender, e.g. `Ticorr <noreply@ticorr.example.cn>`.
    pub from: String,
    /// The platform's public address, for links in e-mails.
    pub base_url: String,
    pub smtp: SmtpConfig,
}

/// `[mail.smtp]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `tls` (implicit TLS, port 465), `starttls` (required), or `none` (a trusted relay
    /// on the same host or network only).
    pub tls: String,
    /// Empty: no authentication.
    pub username: String,
    pub password: Secret,
    /// Each SMTP command times out after this long.
    pub timeout_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: "maildir".into(),
            maildir: String::new(),
            from: "Ticorr <noreply@ticorr.local>".into(),
            base_url: "http://127.0.0.1:8080".into(),
            smtp: SmtpConfig::default(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 465,
            tls: "tls".into(),
            username: String::new(),
            password: Secret::default(),
            timeout_secs: 30,
        }
    }
}

impl MailConfig {
    pub fn validate(&self) -> Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("mail.from is not a mail address (`{}`): {e}", self.from))?;
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err("mail.base_url must be an http(s) address".into());
        }
        match self.transport.as_str() {
            "maildir" => Ok(()),
            "smtp" => {
                if self.smtp.host.trim().is_empty() {
                    return Err("mail.smtp.host is required with transport = \"smtp\"".into());
                }
                if !matches!(self.smtp.tls.as_str(), "tls" | "starttls" | "none") {
                    return Err("mail.smtp.tls must be `tls`, `starttls` or `none`".into());
                }
                if self.smtp.port == 0 || self.smtp.timeout_secs == 0 {
                    return Err("mail.smtp.port and timeout_secs must be positive".into());
                }
                Ok(())
            }
            other => Err(format!(
                "mail.transport must be `maildir` or `smtp`, not `{other}`"
            )),
        }
    }
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Maildir(PathBuf),
}

/// Sends e-mail as configured. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    base_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.transport {
            Transport::Smtp(_) => f.write_str("Mailer(smtp)"),
            Transport::Maildir(p) => write!(f, "Mailer(maildir {})", p.display()),
        }
    }
}

impl Mailer {
    /// Builds the mailer; the maildir folders are created now, so a bad path fails at boot.
    pub fn new(config: &MailConfig, data_dir: &Path) -> Result<Mailer, String> {
        config.validate()?;
        let from: Mailbox = config.from.parse().map_err(|e| format!("{e}"))?;
        let transport = match config.transport.as_str() {
            "smtp" => {
                let s = &config.smtp;
                let tls = match s.tls.as_str() {
                    "none" => Tls::None,
                    mode => {
                        let params = TlsParameters::new(s.host.clone())
                            .map_err(|e| format!("mail.smtp: {e}"))?;
                        if mode == "tls" {
                            Tls::Wrapper(params)
                        } else {
                            Tls::Required(params)
                        }
                    }
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)
                    .port(s.port)
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(s.timeout_secs)));
                if !s.username.is_empty() {
                    builder = builder
                        .credentials(Credentials::new(s.username.clone(), s.password.0.clone()));
                }
                Transport::Smtp(builder.build())
            }
            _ => {
                let dir = if config.maildir.is_empty() {
                    data_dir.join("mail")
                } else {
                    PathBuf::from(&config.maildir)
                };
                for sub in ["tmp", "new", "cur"] {
                    std::fs::create_dir_all(dir.join(sub)).map_err(|e| {
                        format!("cannot create the maildir {}: {e}", dir.join(sub).display())
                    })?;
                }
                Transport::Maildir(dir)
            }
        };
        Ok(Mailer {
            transport,
            from,
            base_url: config.base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// The maildir messages are written to, when that is the transport.
    pub fn maildir(&self) -> Option<&Path> {
        match &self.transport {
            Transport::Maildir(p) => Some(p),
            Transport::Smtp(_) => None,
        }
    }

    /// Sends one message; the error text is what the job records.
    pub async fn send(&self, message: lettre::Message) -> Result<(), String> {
        match &self.transport {
            Transport::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
            Transport::Maildir(dir) => {
                let name = format!(
                    "{}.{}.ticorr",
                    time::OffsetDateTime::now_utc().unix_timestamp(),
                    uuid::Uuid::now_v7().simple()
                );
                let tmp = dir.join("tmp").join(&name);
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| format!("maildir {}: {e}", tmp.display()))?;
                tokio::fs::rename(&tmp, dir.join("new").join(&name))
                    .await
                    .map_err(|e| format!("maildir {}: {e}", dir.display()))
            }
        }
    }
}

/// `Content-Language`, so mail clients know which language the message is in.
#[derive(Debug, Clone)]
struct ContentLanguage(String);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.trim().to_owned()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The payload of a `notify.email` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailJob {
    pub person_id: PersonId,
    /// The inbox entry, when the person also gets one.
    pub notification_id: Option<NotificationId>,
    pub message: Message,
}

/// Subject and text of the e-mail for `message`, in `lang`.
pub fn render(lang: &str, name: &str, message: &Message, base_url: &str) -> (String, String) {
    let en = lang.starts_with("en");
    let info = super::kind(&message.kind);
    let kind = info
        .map(|k| if en { k.label_en } else { k.label_zh })
        .unwrap_or(message.kind.as_str());
    let link = match &message.link {
        Some(l) if en => format!("\nDetails: {base_url}{l}\n"),
        Some(l) => format!("\n查看详情：{base_url}{l}\n"),
        None => String::new(),
    };
    let text = if en { TEMPLATE_EN } else { TEMPLATE_ZH }
        .replace("{name}", name)
        .replace("{kind}", kind)
        .replace(
            "{preferences}",
            &format!("{base_url}/account/notifications"),
        )
        .replace("{link}", &link)
        // The body last, so text a sender wrote is never taken for a placeholder.
        .replace("{body}", message.body(lang).trim());
    (message.title(lang).trim().to_owned(), text)
}

/// The handler of `notify.email` jobs: renders the message in the recipient's current
/// language to their current address and sends it. A recipient whose account was
/// disabled or removed meanwhile gets nothing (the job succeeds: there is nothing to
/// retry). An error is the job's failure, retried with backoff.
pub async fn deliver_email(db: &Db, mailer: &Mailer, job: &Job) -> Result<(), String> {
    let payload: EmailJob = serde_json::from_value(job.payload.clone())
        .map_err(|e| format!("the job's payload is not an e-mail: {e}"))?;
    let row = sqlx::query("SELECT email, display_name, locale, active FROM people WHERE id = $1")
        .bind(payload.person_id.to_string())
        .fetch_optional(db.pool())
        .await
        .map_err(|e| format!("storage: {e}"))?;
    let Some(row) = row else {
        tracing::info!(job.id = %job.id, "the recipient no longer exists; no e-mail sent");
        return Ok(());
    };
    let read = || -> Result<(String, String, Option<String>, bool), sqlx::Error> {
        Ok((
            sqlx::Row::try_get(&row, "email")?,
            sqlx::Row::try_get(&row, "display_name")?,
            sqlx::Row::try_get(&row, "locale")?,
            flag::get(&row, "active")?,
        ))
    };
    let (address, name, locale, active) = read().map_err(|e| format!("storage: {e}"))?;
    if !active {
        tracing::info!(job.id = %job.id, "the recipient's account is disabled; no e-mail sent");
        return Ok(());
    }
    let lang = prefs::language_of(locale.as_deref());
    let (subject, text) = render(lang, &name, &payload.message, &mailer.base_url);
    let to = Mailbox::new(
        Some(name.clone()),
        address
            .parse()
            .map_err(|e| format!("the recipient's address is not valid: {e}"))?,
    );
    let domain = mailer.from.email.domain().to_owned();
    let build = |body: Body| {
        lettre::Message::builder()
            .from(mailer.from.clone())
            .to(to.clone())
            .subject(subject.clone())
            // The same id on every attempt, so a retry after a lost reply reads as a duplicate.
            .message_id(Some(format!("<{}@{domain}>", job.id)))
            .header(ContentLanguage(lang.to_owned()))
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(body),
            )
            .map_err(|e| format!("the e-mail cannot be built: {e}"))
    };
    // Plain 8-bit UTF-8 text (RFC 6152) keeps the message readable as it is, in a maildir
    // file too. A relay without 8BITMIME, or a line too long for it, gets the encoding
    // lettre picks instead.
    match eight_bit(&text) {
        Some(body) => match mailer.send(build(body)?).await {
            Err(e) if e.contains("8BITMIME") => mailer.send(build(Body::new(text))?).await,
            other => other,
        },
        None => mailer.send(build(Body::new(text))?).await,
    }
}

/// The text as an 8-bit body (CRLF line ends), if every line fits the 998-octet limit of
/// RFC 5322 and it holds no NUL or bare CR.
fn eight_bit(text: &str) -> Option<Body> {
    let text = text.replace("\r\n", "\n");
    if text.contains(['\0', '\r']) || text.split('\n').any(|l| l.len() > 998) {
        return None;
    }
    Some(Body::dangerous_pre_encoded(
        text.replace('\n', "\r\n").into_bytes(),
        ContentTransferEncoding::EightBit,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            kind: "advisory".into(),
            title_zh: "氯离子预警".into(),
            title_en: "Chloride advisory".into(),
            body_zh: "请检查 {name} 的换热器。".into(),
            body_en: "Check the exchangers.".into(),
            link: Some("/equipment".into()),
        }
    }

    #[test]
    fn e_mails_are_written_in_the_recipients_language() {
        assert!(eight_bit("短行\n").is_some());
        assert!(
            eight_bit(&"长".repeat(400)).is_none(),
            "1200 octets on one line"
        );
        let (subject, text) = render("zh-CN", "张工", &message(), "https://t.example");
        assert_eq!(subject, "氯离子预警");
        assert!(text.starts_with("张工，您好："), "{text}");
        assert!(text.contains("查看详情：https://t.example/equipment"));
        assert!(text.contains("防腐预警与建议"));
        // A placeholder-looking text in the body is left as written.
        assert!(text.contains("请检查 {name} 的换热器。"));
        let (subject, text) = render("en", "Ms Li", &message(), "https://t.example");
        assert_eq!(subject, "Chloride advisory");
        assert!(text.starts_with("Dear Ms Li,"));
        assert!(text.contains("https://t.example/account/notifications"));
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn bad_mail_settings_are_refused() {
        let mut c = MailConfig::default();
        assert!(c.validate().is_ok());
        c.transport = "smtp".into();
        assert!(c.validate().unwrap_err().contains("host"));
        c.smtp.host = "mail.example".into();
        c.smtp.tls = "maybe".into();
        assert!(c.validate().is_err());
        c.smtp.tls = "starttls".into();
        assert!(c.validate().is_ok());
        c.from = "not an address".into();
        assert!(c.validate().is_err());
    }
}
