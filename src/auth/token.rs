//! JWT API tokens: HS256, signed with the site's secret key, carrying the user id and
//! the account's token generation (a token from an older generation is refused: see
//! `domain::users::sign_out_everywhere`).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Secret;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    /// The account's token generation when issued (absent in tokens from before it
    /// existed: generation 0).
    #[serde(default)]
    generation: i32,
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub user_id: i32,
    /// Must still be the account's generation.
    pub generation: i32,
    /// The last second (Unix) the token is accepted: its expiry plus the leeway every
    /// check allows for clocks that differ.
    pub valid_until: i64,
}

impl Bearer {
    /// Whether the token is still accepted at `now` (Unix seconds), as
    /// [`TokenKeys::verify`] would decide it then.
    pub fn valid_at(&self, now: i64) -> bool {
        now <= self.valid_until
    }
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

    /// A fresh token for `user_id`, whose tokens are at `generation`.
    pub fn issue(&self, user_id: i32, generation: i32) -> String {
        let now = chrono::Utc::now();
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
            generation,
        };
        // HS256 signing of a small struct cannot fail: the algorithm matches the key kind.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .unwrap_or_default()
    }

    /// Who a valid, unexpired token speaks for (the caller checks the generation).
    pub fn verify(&self, token: &str) -> Result<Bearer, InvalidToken> {
        let validation = Validation::new(Algorithm::HS256);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| InvalidToken)?;
        let leeway = i64::try_from(validation.leeway).unwrap_or(0);
        Ok(Bearer {
            user_id: data.claims.sub.parse().map_err(|_| InvalidToken)?,
            generation: data.claims.generation,
            valid_until: data.claims.exp.saturating_add(leeway),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = TokenKeys::new(&Secret::new(vec![7; 32]), 1);
        let token = keys.issue(42, 3);
        let bearer = keys.verify(&token).expect("a token just issued");
        assert_eq!((bearer.user_id, bearer.generation), (42, 3));
        // A day's life, and the minute of leeway `jsonwebtoken` allows past it.
        let now = chrono::Utc::now().timestamp();
        assert!((now + 86_400 + 59..=now + 86_400 + 61).contains(&bearer.valid_until));
        assert!(bearer.valid_at(bearer.valid_until));
        assert!(!bearer.valid_at(bearer.valid_until + 1));
        let other = TokenKeys::new(&Secret::new(vec![8; 32]), 1);
        assert!(other.verify(&token).is_err());
        assert!(keys.verify("not.a.token").is_err());
    }
}
