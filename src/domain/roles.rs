//! Roles and account standing: who is staff, and whether an account is suspended.

use chrono::NaiveDateTime;

use crate::domain::users::User;

/// What an account may do beyond writing: stored as text in `users.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A member of the community.
    User,
    /// Staff for content and reports.
    Moderator,
    /// Staff for everything, including roles.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::User, Role::Moderator, Role::Admin];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// The role with this stored name.
    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    /// Moderators and admins.
    pub fn is_staff(self) -> bool {
        self >= Role::Moderator
    }
}

/// The last day a suspension ending at `end` (a midnight, UTC) covers, as `YYYY-MM-DD`.
pub fn last_day(end: NaiveDateTime) -> String {
    (end - chrono::Duration::seconds(1))
        .date()
        .format("%Y-%m-%d")
        .to_string()
}

/// Why and until when an account is suspended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// The reason staff gave.
    pub reason: String,
    /// When it ends by itself (`None`: until lifted).
    pub until: Option<NaiveDateTime>,
}

impl Suspension {
    /// What the suspended user reads.
    pub fn message(&self) -> String {
        match self.until {
            Some(until) => format!(
                "this account is suspended through {} (UTC): {}",
                last_day(until),
                self.reason
            ),
            None => format!("this account is suspended: {}", self.reason),
        }
    }
}

impl User {
    /// The account's role (an unknown stored value counts as a plain user).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::User)
    }

    /// Whether the account is staff.
    pub fn is_staff(&self) -> bool {
        self.role().is_staff()
    }

    /// The suspension in force at `now`, if any (one whose end has passed is over).
    pub fn suspension(&self, now: NaiveDateTime) -> Option<Suspension> {
        self.suspended_at?;
        if self.suspended_until.is_some_and(|until| until <= now) {
            return None;
        }
        Some(Suspension {
            reason: self.suspension_reason.clone().unwrap_or_default(),
            until: self.suspended_until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_rank() {
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Moderator.is_staff());
        assert!(!Role::User.is_staff());
        assert!(Role::Admin > Role::Moderator);
    }
}
