//! The server-rendered site, through a cookie-keeping client: pages, forms, redirects,
//! sessions, CSRF and access control.

mod article;
mod auth;
pub mod browser;
mod editor;
mod home;
mod notifications;
mod profile;
mod queries;
mod settings;
mod shared_article;
mod threads;

use crate::helpers::TestFn;

/// Every page test.
pub fn tests() -> Vec<(&'static str, TestFn)> {
    [
        home::tests(),
        auth::tests(),
        editor::tests(),
        article::tests(),
        profile::tests(),
        settings::tests(),
        notifications::tests(),
        queries::tests(),
        threads::tests(),
        shared_article::tests(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
