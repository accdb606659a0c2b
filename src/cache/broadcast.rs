//! Invalidations across processes. A write names what it makes stale ([`Stale`]); inside
//! its own transaction, [`Broadcast::publish`] hands that to every other process on the
//! same database, so the message leaves when the write commits, and never if it rolls
//! back:
//!
//! - on PostgreSQL with `pg_notify` on a channel named after the database and schema
//!   (several sites, or parallel tests, on one server never hear each other), sent
//!   right after the commit rather than from inside the transaction (see
//!   [`crate::db::notify`] for why);
//! - on SQLite as a row of `cache_events`, which the one server reads when
//!   `PRAGMA data_version` says that another connection committed. Only processes other
//!   than the server write these rows (the command line, `conduit worker`): the server
//!   is the only process with caches on a SQLite file and applies its own writes
//!   directly, so its writes cost no extra row.
//!
//! [`super::listener`] receives them. Every message carries its sender's origin, so a
//! process skips its own (it has already applied them after the commit).

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

use super::Stale;
use crate::db::schema::cache_events;
use crate::db::{Db, DbConnection};
use crate::domain::time;

/// PostgreSQL refuses `NOTIFY` payloads of 8000 bytes or more; longer batches become
/// one [`Stale::Everything`].
const MAX_PAYLOAD: usize = 7_000;

/// One transaction's invalidations, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The sending process's origin.
    #[serde(rename = "o")]
    pub origin: String,
    /// When it was sent (just before the commit), in milliseconds since the epoch.
    #[serde(rename = "t")]
    pub sent_at_ms: i64,
    /// What is stale.
    #[serde(rename = "s")]
    pub stale: Vec<Stale>,
    /// The transaction also queued jobs: idle workers should look now (see
    /// [`crate::jobs::wake`]).
    #[serde(rename = "j", default, skip_serializing_if = "std::ops::Not::not")]
    pub jobs_queued: bool,
}

impl Message {
    /// The payload for `stale` from `origin`: small, or a single `Everything`.
    pub fn encode(origin: &str, stale: &[Stale], jobs_queued: bool) -> String {
        let sent_at_ms = chrono::Utc::now().timestamp_millis();
        let mut message = Message {
            origin: origin.to_owned(),
            sent_at_ms,
            stale: dedup(stale),
            jobs_queued,
        };
        let text = serde_json::to_string(&message).unwrap_or_default();
        if !text.is_empty() && text.len() <= MAX_PAYLOAD {
            return text;
        }
        message.stale = vec![Stale::Everything];
        serde_json::to_string(&message).unwrap_or_default()
    }

    /// Parses a payload; `None` when it is not one of ours.
    pub fn decode(payload: &str) -> Option<Message> {
        serde_json::from_str(payload).ok()
    }
}

/// `stale` without repeats; only `Everything` when it is there.
fn dedup(stale: &[Stale]) -> Vec<Stale> {
    if stale.contains(&Stale::Everything) {
        return vec![Stale::Everything];
    }
    let mut out: Vec<Stale> = Vec::with_capacity(stale.len());
    for s in stale {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

/// Where this process publishes: its origin, and on PostgreSQL the channel.
#[derive(Debug, Clone)]
pub struct Broadcast {
    origin: std::sync::Arc<str>,
    channel: Option<std::sync::Arc<str>>,
    /// False for the serving process on SQLite (see the module docs).
    sqlite_rows: bool,
}

#[derive(QueryableByName)]
struct Namespace {
    #[diesel(sql_type = Text)]
    database: String,
    #[diesel(sql_type = Text)]
    schema: String,
}

impl Broadcast {
    /// The broadcast for `db`, with a fresh origin (one per writer: the server, a worker
    /// pool, a command). On PostgreSQL the channel is derived from the database and the
    /// schema that `db` works in.
    pub fn for_db(db: &Db) -> Result<Self, String> {
        let origin = format!("{}-{:08x}", std::process::id(), rand::random::<u32>());
        let channel = match db.backend() {
            crate::db::BackendKind::Sqlite => None,
            crate::db::BackendKind::Postgres => {
                let mut conn = db.conn().map_err(|e| e.to_string())?;
                let DbConnection::Pg(pg) = &mut *conn else {
                    return Err("a PostgreSQL pool handed out another connection".into());
                };
                let ns: Namespace = diesel::sql_query(
                    "SELECT current_database()::text AS database, \
                     coalesce(current_schema()::text, '') AS schema",
                )
                .get_result(pg)
                .map_err(|e| format!("cannot name the invalidation channel: {e}"))?;
                Some(channel_name(&ns.database, &ns.schema).into())
            }
        };
        Ok(Self {
            origin: origin.into(),
            channel,
            sqlite_rows: true,
        })
    }

    /// This broadcast for the process that serves the site: on SQLite it writes no
    /// `cache_events` rows, since no other process there has caches to keep coherent.
    pub fn serving(mut self) -> Self {
        self.sqlite_rows = false;
        self
    }

    /// The PostgreSQL notification (channel, payload) that tells every other process of
    /// a committed write that made `stale` out of date and queued jobs if
    /// `jobs_queued`; `None` when there is nothing to tell. For writes that commit
    /// outside a transaction of [`crate::db::Db::write`] (a batch), which send it
    /// themselves ([`crate::db::Db::send_notifications`]).
    pub fn notification(&self, stale: &[Stale], jobs_queued: bool) -> Option<(String, String)> {
        if stale.is_empty() && !jobs_queued {
            return None;
        }
        let channel = self.channel.as_deref().unwrap_or("conduit_cache");
        metrics::counter!("cache_invalidations_sent_total").increment(1);
        Some((
            channel.to_owned(),
            Message::encode(&self.origin, stale, jobs_queued),
        ))
    }

    /// This process's origin, as its messages carry it.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The PostgreSQL channel, if any.
    pub fn channel(&self) -> Option<&str> {
        self.channel.as_deref()
    }

    /// Sends `stale` to every other process, inside the caller's transaction on `conn`
    /// (on PostgreSQL a [`crate::db::write_transaction`], which sends it after its
    /// commit): it leaves when that transaction commits, and never if it rolls back. When the
    /// transaction queued jobs, the message says so (and is sent even with nothing
    /// stale), so that other processes' idle workers wake.
    pub fn publish(&self, conn: &mut DbConnection, stale: &[Stale]) -> QueryResult<()> {
        let jobs_queued = crate::jobs::wake::pending();
        match conn {
            DbConnection::Pg(_) => {
                let Some((channel, payload)) = self.notification(stale, jobs_queued) else {
                    return Ok(());
                };
                crate::db::notify::after_commit(&channel, payload);
                return Ok(());
            }
            DbConnection::Sqlite(_) if !self.sqlite_rows => return Ok(()),
            DbConnection::Sqlite(_) if stale.is_empty() && !jobs_queued => return Ok(()),
            DbConnection::Sqlite(sqlite) => {
                diesel::insert_into(cache_events::table)
                    .values((
                        cache_events::origin.eq(self.origin.as_ref()),
                        cache_events::payload.eq(Message::encode(&self.origin, stale, jobs_queued)),
                        cache_events::created_at.eq(time::now()),
                    ))
                    .execute(sqlite)?;
            }
        }
        metrics::counter!("cache_invalidations_sent_total").increment(1);
        Ok(())
    }
}

/// `conduit_` and 16 hex digits of a hash of the namespace: a valid identifier whatever
/// the names hold, and the same in every process on that namespace.
fn channel_name(database: &str, schema: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{database}\u{0}{schema}").as_bytes());
    format!("conduit_{}", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_stay_small() {
        let stale = vec![
            Stale::Comments { slug: "a".into() },
            Stale::Comments { slug: "a".into() },
            Stale::Follow { follower: 7 },
        ];
        let text = Message::encode("me", &stale, false);
        let back = Message::decode(&text).expect("parses");
        assert_eq!(back.origin, "me");
        assert_eq!(
            back.stale,
            vec![
                Stale::Comments { slug: "a".into() },
                Stale::Follow { follower: 7 }
            ]
        );
        let many: Vec<Stale> = (0..500)
            .map(|i| Stale::ArticleEdited {
                id: i,
                slug: format!("a-rather-long-slug-for-article-number-{i}"),
            })
            .collect();
        let text = Message::encode("me", &many, false);
        assert!(text.len() < MAX_PAYLOAD);
        assert_eq!(
            Message::decode(&text).expect("parses").stale,
            vec![Stale::Everything]
        );
        assert_eq!(Message::decode("not ours"), None);
    }

    #[test]
    fn channels_differ_per_schema() {
        let a = channel_name("test", "t_1");
        assert_eq!(a, channel_name("test", "t_1"));
        assert_ne!(a, channel_name("test", "t_2"));
        assert!(a.len() <= 63 && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }
}
