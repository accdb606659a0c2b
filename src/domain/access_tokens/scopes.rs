//! What an access token may do: a set of [`Scope`]s, stored as `read,write`.

use std::fmt;

/// One permission of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// GET and HEAD requests (every token has this much).
    Read,
    /// Every other request: publishing, commenting, following, settings.
    Write,
    /// What only staff may do through the API.
    Admin,
}

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Admin];

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// The scope called `name`.
    pub fn parse(name: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    fn bit(self) -> u8 {
        match self {
            Scope::Read => 1,
            Scope::Write => 2,
            Scope::Admin => 4,
        }
    }
}

/// A set of scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes(u8);

impl Scopes {
    /// Every scope: what a sign-in token (JWT) carries.
    pub const ALL: Scopes = Scopes(1 | 2 | 4);

    /// The scopes named in `names` (repeats and surrounding blanks ignored), or the
    /// first unknown name.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Scopes, String> {
        let mut set = Scopes::default();
        for name in names.iter().map(|n| n.as_ref().trim()) {
            let scope = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            set.0 |= scope.bit();
        }
        Ok(set)
    }

    /// The scopes of a stored `read,write` (unknown names, which nothing writes, are
    /// dropped: a token never gains a scope by a typo).
    pub fn from_stored(stored: &str) -> Scopes {
        let mut set = Scopes::default();
        for scope in stored.split(',').filter_map(|n| Scope::parse(n.trim())) {
            set.0 |= scope.bit();
        }
        set
    }

    /// True when no scope is in the set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `scope` was chosen.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether a request that needs `scope` may go ahead: every token reads; writing
    /// and staff actions need their own scope.
    pub fn allows(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => !self.is_empty(),
            other => self.contains(other),
        }
    }

    /// The names in the set, in display order.
    pub fn names(self) -> Vec<&'static str> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .map(Scope::as_str)
            .collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_display_and_allow() {
        let set = Scopes::parse(&["write", " read", "write"]).expect("known");
        assert_eq!(set.to_string(), "read,write");
        assert_eq!(Scopes::from_stored("read,write"), set);
        assert_eq!(Scopes::parse(&["read", "sudo"]), Err("sudo".to_owned()));
        assert!(Scopes::parse::<&str>(&[]).expect("empty").is_empty());
        assert_eq!(Scopes::from_stored("admin,bogus").names(), ["admin"]);

        let read = Scopes::from_stored("read");
        assert!(read.allows(Scope::Read));
        assert!(!read.allows(Scope::Write) && !read.allows(Scope::Admin));
        let write = Scopes::from_stored("write");
        assert!(write.allows(Scope::Read), "writing implies reading");
        assert!(!write.allows(Scope::Admin));
        assert!(Scopes::ALL.allows(Scope::Admin));
        assert!(!Scopes::default().allows(Scope::Read));
    }
}
