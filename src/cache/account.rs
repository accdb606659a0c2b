//! An account as the `accounts` store keeps it: the row, and the slots where the
//! member's other per-request entries are kept at hand ([`Slot`]); and a verified API
//! token as the `bearers` store keeps it, with its account at hand the same way.

use std::collections::HashSet;
use std::ops::Deref;
use std::sync::Arc;

use super::feed_page::FeedPage;
use super::slot::Slot;
use crate::auth::token::Bearer;
use crate::domain::users::User;
use crate::domain::visibility::ViewerMarks;

/// A member's account row, with their marks, unread count, live sessions and the feed
/// page they read last, as last read for one of their requests.
#[derive(Debug)]
pub struct Account {
    pub user: User,
    pub(crate) marks: Slot<Arc<ViewerMarks>>,
    pub(crate) unread: Slot<i64>,
    pub(crate) sessions: Slot<Arc<HashSet<String>>>,
    pub(crate) feed: Slot<Arc<FeedPage>>,
}

impl Account {
    pub fn new(user: User) -> Self {
        Self {
            user,
            marks: Slot::default(),
            unread: Slot::default(),
            sessions: Slot::default(),
            feed: Slot::default(),
        }
    }
}

/// An account is read as its row.
impl Deref for Account {
    type Target = User;
    fn deref(&self) -> &User {
        &self.user
    }
}

/// A verified API token (a JWT), and its account as last read for one of its requests.
#[derive(Debug)]
pub struct Verified {
    pub bearer: Bearer,
    pub(crate) account: Slot<Arc<Account>>,
}

impl Verified {
    pub fn new(bearer: Bearer) -> Self {
        Self {
            bearer,
            account: Slot::default(),
        }
    }
}
