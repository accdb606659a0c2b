//! Caches are on in every test (as in production); these check that they never show
//! stale or someone else's data, and the HTTP caching on top of them.

mod feeds;
mod http;
mod keyset;
mod viewers;
mod writes;

use crate::helpers::TestFn;

/// Every caching test.
pub fn tests() -> Vec<(&'static str, TestFn)> {
    [
        writes::tests(),
        viewers::tests(),
        http::tests(),
        keyset::tests(),
        feeds::tests(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
