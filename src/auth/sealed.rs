//! Secrets the server must read back, sealed at rest: the TOTP keys of two-factor
//! sign-in. AES-256-GCM under a key derived from the site secret and a purpose, so a
//! copy of the database alone does not give them away (and a sealed value moved to
//! another purpose does not open). Changing `CONDUIT_SECRET_KEY` voids them, as it
//! voids sessions and tokens.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// What sealed values start with (a later format can tell itself apart).
const PREFIX: &str = "v1:";

/// Seals and opens values for one purpose.
#[derive(Clone)]
pub struct Sealer(Aes256Gcm);

impl Sealer {
    /// A sealer for `purpose` under the site secret.
    pub fn new(secret: &Secret, purpose: &str) -> Self {
        let key = Sha256::new()
            .chain_update(b"conduit sealed value\0")
            .chain_update(purpose.as_bytes())
            .chain_update(b"\0")
            .chain_update(secret.expose())
            .finalize();
        Self(Aes256Gcm::new(&key))
    }

    /// `plain` sealed under a fresh random nonce, as text for a column.
    pub fn seal(&self, plain: &str) -> String {
        let nonce = rand::random::<[u8; 12]>();
        // Encryption with a 96-bit nonce and an in-memory buffer cannot fail.
        let sealed = self
            .0
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .unwrap_or_default();
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(sealed))
    }

    /// The value `sealed` holds; `None` when it was sealed under another key or purpose,
    /// or altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = hex::decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, body) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        let plain = self.0.decrypt(&Nonce::from(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_purpose() {
        let secret = Secret::new(vec![7; 32]);
        let sealer = Sealer::new(&secret, "totp");
        let sealed = sealer.seal("JBSWY3DPEHPK3PXP");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(
            sealed,
            sealer.seal("JBSWY3DPEHPK3PXP"),
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open(&sealed).as_deref(), Some("JBSWY3DPEHPK3PXP"));
        assert_eq!(Sealer::new(&secret, "other").open(&sealed), None);
        assert_eq!(
            Sealer::new(&Secret::new(vec![8; 32]), "totp").open(&sealed),
            None
        );
        let mut altered = sealed.clone();
        altered.replace_range(10..11, if &sealed[10..11] == "0" { "1" } else { "0" });
        assert_eq!(sealer.open(&altered), None);
    }
}
