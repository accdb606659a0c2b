//! Tokens for emailed links (password recovery, email verification): 256 random bits as
//! hex, of which only a SHA-256 is stored, so a database leak gives no working link (a
//! fast hash is enough for a token that random).

use sha2::{Digest, Sha256};

/// A fresh token, for the link.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What is stored for `token`, and looked up when the link is used. Every signed-in
/// page hashes its session key with this: written through a buffer, which costs a
/// tenth of `hex::encode`'s char-by-char string.
pub fn stored_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = [0u8; 64];
    match hex::encode_to_slice(digest, &mut hex).map(|()| std::str::from_utf8(&hex)) {
        Ok(Ok(text)) => text.to_owned(),
        _ => hex::encode(digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_is_the_hex_sha256() {
        assert_eq!(
            stored_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
