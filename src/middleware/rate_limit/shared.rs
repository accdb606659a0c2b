//! Rate limits kept in PostgreSQL, so that N instances on one database give a client one
//! allowance, not N.
//!
//! Each bucket (`login:ip:1.2.3.4`, `write:acct:42`) is a row of `rate_limits` holding its
//! GCRA "theoretical arrival time" `tat` in microseconds since the Unix epoch: the same
//! algorithm and quotas as the in-memory `governor` limiters used on SQLite. A row whose
//! `tat` has passed is as good as no row, so rows are pruned now and then, not kept fresh.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

use crate::db::DbConnection;

const MINUTE_US: i64 = 60_000_000;

/// The GCRA of `governor`'s `Quota::per_minute(n).allow_burst(n)`: one request every
/// `t`, and a request may go while its bucket's `tat` is at most `tau` ahead of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// The emission interval, 60 s / n, in µs.
    t: i64,
    /// The tolerance, (n − 1)·t in µs: with one interval it makes the burst of n.
    tau: i64,
}

impl Gcra {
    /// `n` requests per minute, all of them at once if need be (0 counts as 1).
    pub fn per_minute(n: u32) -> Self {
        let n = i64::from(n.max(1));
        let t = MINUTE_US / n;
        Self {
            t,
            tau: t * (n - 1),
        }
    }

    /// The step that `TAKE` runs in SQL, for one bucket whose arrival time is `tat`
    /// (`None`: no row) at `now`: `Ok(new tat)` when a request may go, else `Err(wait)`.
    pub fn admit(self, tat: Option<i64>, now: i64) -> Result<i64, Duration> {
        let tat = tat.unwrap_or(now);
        let earliest = tat - self.tau;
        if earliest > now {
            return Err(Duration::from_micros(
                u64::try_from(earliest - now).unwrap_or(0),
            ));
        }
        Ok(tat.max(now) + self.t)
    }
}

/// One row a request draws on: its key and its quota.
#[derive(Debug, Clone)]
pub struct Bucket {
    key: String,
    gcra: Gcra,
}

impl Bucket {
    /// The bucket `key` with `per_minute` requests a minute.
    pub fn new(key: String, per_minute: u32) -> Self {
        Self {
            key,
            gcra: Gcra::per_minute(per_minute),
        }
    }
}

/// Takes one request from every bucket ($1 keys, $2 intervals, $3 tolerances) at $4, or
/// from none. `held` locks the buckets' rows in key order (no deadlock between two
/// requests), `verdict` is the GCRA test on every one, `taken` the upsert; a row that
/// another instance inserts meanwhile is tested again by the upsert's `WHERE`. Returns
/// every bucket with its arrival time before the request and whether it was taken from.
const TAKE: &str = "\
WITH wanted (bucket, t, tau) AS (
    SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[])
),
held AS (
    SELECT bucket, tat FROM rate_limits WHERE bucket = ANY ($1) ORDER BY bucket FOR UPDATE
),
verdict AS (
    SELECT bool_and(COALESCE(h.tat, $4) - w.tau <= $4) AS pass
    FROM wanted w LEFT JOIN held h USING (bucket)
),
taken AS (
    INSERT INTO rate_limits (bucket, tat)
    SELECT w.bucket, $4 + w.t FROM wanted w, verdict v WHERE v.pass ORDER BY w.bucket
    ON CONFLICT (bucket) DO UPDATE
        SET tat = GREATEST(rate_limits.tat, $4) + (EXCLUDED.tat - $4)
        WHERE rate_limits.tat - (SELECT w.tau FROM wanted w WHERE w.bucket = EXCLUDED.bucket) <= $4
    RETURNING bucket
)
SELECT w.bucket, h.tat, t.bucket IS NOT NULL AS taken
FROM wanted w LEFT JOIN held h USING (bucket) LEFT JOIN taken t USING (bucket)";

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Text)]
    bucket: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    tat: Option<i64>,
    #[diesel(sql_type = Bool)]
    taken: bool,
}

/// One request against `buckets` at `now` (µs since the epoch), in one statement:
/// `Ok(Ok(()))` when it may go (each bucket charged), `Ok(Err(wait))` when one of them is
/// empty (none charged: a refused request costs nothing). PostgreSQL only.
pub fn take(
    conn: &mut DbConnection,
    buckets: &[Bucket],
    now: i64,
) -> QueryResult<Result<(), Duration>> {
    let DbConnection::Pg(pg) = conn else {
        return Err(diesel::result::Error::QueryBuilderError(
            "shared rate limits are kept in PostgreSQL only".into(),
        ));
    };
    let rows: Vec<Taken> = diesel::sql_query(TAKE)
        .bind::<Array<Text>, _>(buckets.iter().map(|b| b.key.as_str()).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(buckets.iter().map(|b| b.gcra.t).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(buckets.iter().map(|b| b.gcra.tau).collect::<Vec<_>>())
        .bind::<BigInt, _>(now)
        .load(pg)?;
    if rows.len() == buckets.len() && rows.iter().all(|row| row.taken) {
        return Ok(Ok(()));
    }
    // The longest wait of any bucket, from the arrival times the statement saw.
    let wait = buckets
        .iter()
        .filter_map(|b| {
            let tat = rows.iter().find(|row| row.bucket == b.key)?.tat;
            b.gcra.admit(tat, now).err()
        })
        .max()
        .unwrap_or(Duration::ZERO);
    Ok(Err(wait))
}

/// Deletes the buckets that have refilled by `now` (an arrival time in the past is the
/// same as no row). Returns how many went.
pub fn prune(conn: &mut DbConnection, now: i64) -> QueryResult<usize> {
    let DbConnection::Pg(pg) = conn else {
        return Ok(0);
    };
    diesel::sql_query("DELETE FROM rate_limits WHERE tat < $1")
        .bind::<BigInt, _>(now)
        .execute(pg)
}

/// Now, in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use governor::clock::FakeRelativeClock;
    use governor::{Quota, RateLimiter};

    use super::*;

    const SECOND: i64 = 1_000_000;

    #[test]
    fn a_burst_of_n_then_one_every_interval() {
        let gcra = Gcra::per_minute(8);
        let mut tat = None;
        for i in 0..8 {
            tat = Some(
                gcra.admit(tat, 0)
                    .unwrap_or_else(|_| panic!("{i} fits the burst")),
            );
        }
        assert_eq!(gcra.admit(tat, 0), Err(Duration::from_millis(7_500)));
        // Refused requests leave `tat` as it was: the next slot is still 7.5 s away.
        assert_eq!(gcra.admit(tat, 7 * SECOND), Err(Duration::from_millis(500)));
        tat = gcra.admit(tat, 7_500_000).ok();
        assert_eq!(tat, Some(67_500_000));
        assert!(gcra.admit(tat, 7_500_000).is_err());
        // A bucket idle for a minute is full again, the same as no row.
        assert_eq!(gcra.admit(tat, 68 * SECOND), gcra.admit(None, 68 * SECOND));
    }

    #[test]
    fn zero_per_minute_is_one() {
        assert_eq!(Gcra::per_minute(0), Gcra::per_minute(1));
        let one = Gcra::per_minute(1);
        let tat = one.admit(None, 0).ok();
        assert_eq!(one.admit(tat, 0), Err(Duration::from_secs(60)));
    }

    /// The arithmetic agrees with `governor` (the SQLite path) on an uneven stream.
    #[test]
    fn agrees_with_governor() {
        for n in [1_u32, 2, 5, 8, 30, 240] {
            let clock = FakeRelativeClock::default();
            let quota = NonZeroU32::new(n).map(|n| Quota::per_minute(n).allow_burst(n));
            let governor = RateLimiter::direct_with_clock(quota.expect("n > 0"), clock.clone());
            let gcra = Gcra::per_minute(n);
            let (mut tat, mut now) = (None, 0_i64);
            for step in 0..500_i64 {
                let ours = gcra.admit(tat, now);
                let theirs = governor.check();
                assert_eq!(
                    ours.is_ok(),
                    theirs.is_ok(),
                    "n={n} step {step} at {now} µs"
                );
                if let Ok(next) = ours {
                    tat = Some(next);
                }
                let gap = (step * 7_919 % 13) * 350_000;
                now += gap;
                clock.advance(Duration::from_micros(u64::try_from(gap).unwrap_or(0)));
            }
        }
    }
}
