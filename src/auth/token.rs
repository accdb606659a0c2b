//! JWT API tokens: HS256, signed with the site's secret key, carrying the user id.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

/// Why a presented token was refused.
#[derive(Debug, thiserror::Error)]
#[error("invalid token")]
pub struct InvalidToken;

/// Signs and checks API tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: chrono::Duration,
}

impl TokenKeys {
    /// Keys from the site secret; tokens live `ttl_days`.
    pub fn new(secret: &Secret, ttl_days: u32) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            ttl: chrono::Duration::days(i64::from(ttl_days)),
        }
    }

    /// A fresh token for `user_id`.
    pub fn issue(&self, user_id: i32) -> String {
        let now = chrono::Utc::now();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
        };
        // HS256 signing of a small struct cannot fail: the algorithm matches the key kind.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// The user id a valid, unexpired token carries.
    pub fn verify(&self, token: &str) -> Result<i32, InvalidToken> {
        let validation = Validation::new(Algorithm::HS256);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| InvalidToken)?;
        data.claims.sub.parse().map_err(|_| InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = TokenKeys::new(&Secret::new(vec![7; 32]), 1);
        let token = keys.issue(42);
        assert_eq!(keys.verify(&token).ok(), Some(42));
        let other = TokenKeys::new(&Secret::new(vec![8; 32]), 1);
        assert!(other.verify(&token).is_err());
        assert!(keys.verify("not.a.token").is_err());
    }
}
