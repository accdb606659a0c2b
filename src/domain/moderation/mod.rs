//! What staff do: moderate content, manage accounts and tags, work through reports, and
//! the lists and counts of the admin area. Every change checks the actor's role here
//! (not only in the handler) and writes its audit row in its own transaction.
//!
//! Each kind of change has exactly one entry point, so caches can be invalidated there:
//! [`content::apply`] (hide, unhide, delete, feature, unfeature), [`tags::rename`],
//! [`tags::merge`], [`accounts::suspend`], [`accounts::unsuspend`],
//! [`accounts::change_role`], [`accounts::force_password_reset`] and
//! [`reports::resolve`] (which may apply a content action in the same transaction).

pub mod accounts;
pub mod content;
pub mod dashboard;
pub mod reports;
pub mod search;
pub mod tags;
