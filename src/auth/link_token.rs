//! Tokens for emailed links (password recovery, email verification): 256 random bits as
//! hex, of which only a SHA-256 is stored, so a database leak gives no working link (a
//! fast hash is enough for a token that random).

use sha2::{Digest, Sha256};

/// A fresh token, for the link.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What is stored for `token`, and looked up when the link is used.
pub fn stored_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
