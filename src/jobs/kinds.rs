//! The job kinds and their payloads. Payloads hold ids, not copies of rows, so a job
//! always works on current data (and finds nothing to do when the row is gone).

use serde::{Deserialize, Serialize};

/// Split an article's followers into notification batches.
pub const NOTIFY_FANOUT: &str = "notify.fanout";
/// Notify one batch of an article's followers.
pub const NOTIFY_BATCH: &str = "notify.batch";
/// One notification for one user. Writes create their notifications themselves now
/// ([`crate::domain::notifications::create`]); this kind remains for the jobs that a
/// queue may still hold from before (an upgrade keeps them).
pub const NOTIFY_ONE: &str = "notify.one";
/// The welcome email.
pub const EMAIL_WELCOME: &str = "email.welcome";
/// The email for one notification. Notifications now share their recipient's
/// [`EMAIL_NOTIFICATIONS`] job; this kind remains for the jobs that a queue may still hold
/// from before (an upgrade keeps them).
pub const EMAIL_NOTIFICATION: &str = "email.notification";
/// The email of everything waiting for one recipient: the notification itself when one
/// waits, a digest of them when several came in before the job ran. One queued job per
/// recipient at most ([`crate::domain::notifications::queue_email`]).
pub const EMAIL_NOTIFICATIONS: &str = "email.notifications";
/// A password recovery link, when the address belongs to an account.
pub const EMAIL_PASSWORD_RESET: &str = "email.password_reset";
/// A link that proves the account's (new) address.
pub const EMAIL_VERIFY: &str = "email.verify";
/// A notice to the old address that the account's email changed.
pub const EMAIL_ADDRESS_CHANGED: &str = "email.address_changed";
/// A security notice to the account's owner: a sign-in from a new device, a password
/// change, two-factor sign-in turned on or off.
pub const EMAIL_SECURITY: &str = "email.security";
/// Find the webhooks that want an event and create their deliveries. Writes create
/// their deliveries themselves now; this kind remains for the jobs that a queue may still
/// hold from before (an upgrade keeps them).
pub const WEBHOOK_EVENT: &str = "webhook.event";
/// One HTTP delivery to one webhook.
pub const WEBHOOK_DELIVER: &str = "webhook.deliver";
/// Publish a scheduled draft when it is due.
pub const ARTICLE_PUBLISH: &str = "article.publish";

/// Every kind the application's own handler runs.
pub const ALL: [&str; 13] = [
    NOTIFY_FANOUT,
    NOTIFY_BATCH,
    NOTIFY_ONE,
    EMAIL_WELCOME,
    EMAIL_NOTIFICATION,
    EMAIL_NOTIFICATIONS,
    EMAIL_PASSWORD_RESET,
    EMAIL_VERIFY,
    EMAIL_ADDRESS_CHANGED,
    EMAIL_SECURITY,
    WEBHOOK_EVENT,
    WEBHOOK_DELIVER,
    ARTICLE_PUBLISH,
];

/// Followers notified per batch job.
pub const BATCH_SIZE: usize = 500;

/// [`NOTIFY_FANOUT`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fanout {
    /// The new article.
    pub article_id: i32,
    /// Its author, whose followers are told.
    pub author_id: i32,
}

/// [`NOTIFY_BATCH`]: followers with ids in `first..=last`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Batch {
    /// The new article.
    pub article_id: i32,
    /// Its author.
    pub author_id: i32,
    /// Lowest follower id in the batch.
    pub first: i32,
    /// Highest follower id in the batch.
    pub last: i32,
}

/// [`NOTIFY_ONE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct One {
    /// Who is told.
    pub user_id: i32,
    /// `comment`, `follower`, `favorite`, `moderation` or `report`.
    pub kind: String,
    /// Who did it.
    pub actor_id: i32,
    /// The article concerned, if any (none once it is deleted).
    pub article_id: Option<i32>,
    /// What it is about, as it was named then (a title, the start of a comment).
    #[serde(default)]
    pub subject: Option<String>,
    /// What was done, for `moderation` (`article_hidden`, `comment_deleted`…) and
    /// `report` (the resolution's action).
    #[serde(default)]
    pub detail: Option<String>,
    /// Why, as the staff member wrote it.
    #[serde(default)]
    pub reason: Option<String>,
}

/// [`EMAIL_WELCOME`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Welcome {
    /// The new account.
    pub user_id: i32,
}

/// [`EMAIL_PASSWORD_RESET`]: queued for every request, known address or not, so that
/// the request looks and takes the same either way; the job finds out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PasswordReset {
    /// The address as asked (lower case).
    pub email: String,
}

/// [`EMAIL_VERIFY`]: sent to the account's address as it is when the job runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verify {
    pub user_id: i32,
}

/// [`EMAIL_ADDRESS_CHANGED`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddressChanged {
    pub user_id: i32,
    /// The address before the change, which is told.
    pub old_email: String,
}

/// [`EMAIL_SECURITY`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecurityNotice {
    pub user_id: i32,
    /// What happened.
    pub notice: Notice,
}

/// What a [`SecurityNotice`] tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Notice {
    /// A sign-in from a browser this account never used before.
    NewDevice {
        /// "Firefox on Linux".
        device: String,
        /// The client address, if known.
        ip: Option<String>,
    },
    /// The password was changed (in settings or through a recovery link).
    PasswordChanged,
    /// Two-factor sign-in was turned on.
    TwoFactorOn,
    /// Two-factor sign-in was turned off.
    TwoFactorOff,
    /// A recovery code was used to sign in.
    RecoveryCodeUsed {
        /// Codes left.
        left: i64,
    },
}

/// [`EMAIL_NOTIFICATION`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationEmail {
    /// The notification to send by email.
    pub notification_id: i32,
}

/// [`EMAIL_NOTIFICATIONS`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NotificationEmails {
    /// The recipient, whose waiting notifications are sent.
    pub user_id: i32,
}

/// [`WEBHOOK_EVENT`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// `article.published`, `article.updated`, `article.deleted`, `comment.created` or
    /// `user.followed`.
    pub event: String,
    /// The user whose own webhooks get it (the author, the followed user).
    pub owner_id: i32,
    /// The event's `data` object.
    pub data: serde_json::Value,
}

/// [`WEBHOOK_DELIVER`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    /// The delivery row.
    pub delivery_id: i32,
}

/// [`ARTICLE_PUBLISH`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Publish {
    /// The draft.
    pub article_id: i32,
    /// The time it was scheduled for when this job was queued: the job publishes only if
    /// the draft still has it.
    pub publish_at: chrono::NaiveDateTime,
}
