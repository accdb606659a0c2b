//! Webhook deliveries, a claimed batch at a time: one read for what to send, the HTTP
//! calls side by side (each waits on its receiver, not on the CPU), then their outcomes
//! written together as they come in. Sent one by one, a batch of sixteen took sixteen round trips and
//! sixteen turns at SQLite's write gate, and the queue fell behind a steady stream of
//! comments to authors with webhooks (see docs/benchmarks.md).

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::AppHandlers;
use crate::db::{Db, write_transaction};
use crate::domain::webhooks::{self, Delivery, Webhook};
use crate::jobs::webhook_client::Sent;
use crate::jobs::{Job, JobError, kinds};

/// What one attempt leaves on the delivery: state, status code, error.
struct Attempt {
    state: &'static str,
    code: Option<i32>,
    error: Option<String>,
}

impl Attempt {
    fn of(sent: &Sent, last_attempt: bool) -> Self {
        let failed = if last_attempt { "dead" } else { "failed" };
        match sent {
            Sent::Delivered(code) => Self {
                state: "succeeded",
                code: Some(i32::from(*code)),
                error: None,
            },
            Sent::Refused(code) => Self {
                state: failed,
                code: Some(i32::from(*code)),
                error: Some(format!("HTTP {code}")),
            },
            Sent::Unreachable(why) => Self {
                state: failed,
                code: None,
                error: Some(why.clone()),
            },
            Sent::Forbidden(why) => Self {
                state: "dead",
                code: None,
                error: Some(why.clone()),
            },
        }
    }

    /// The job's outcome once the attempt is recorded.
    fn outcome(&self, sent: Sent) -> Result<(), JobError> {
        match sent {
            Sent::Delivered(_) => Ok(()),
            Sent::Forbidden(why) => Err(JobError::Permanent(why)),
            _ => Err(JobError::Retry(self.error.clone().unwrap_or_default())),
        }
    }
}

/// How long the outcomes of a batch's sends gather before they are written: long enough
/// for a batch to receivers that answer at once to share one write, short enough that a
/// slow receiver never holds back the record of the others (a crash meanwhile would
/// make them send again).
const GATHER: Duration = Duration::from_millis(25);

impl AppHandlers {
    /// Runs [`kinds::WEBHOOK_DELIVER`] jobs; an outcome per job, in order.
    pub(super) fn deliver_all(&self, db: &Db, jobs: &[&Job]) -> Vec<Result<(), JobError>> {
        let args: Vec<Result<kinds::Deliver, JobError>> = jobs.iter().map(|j| j.args()).collect();
        let ids: Vec<i32> = args
            .iter()
            .filter_map(|a| a.as_ref().ok().map(|d| d.delivery_id))
            .collect();
        let found = db
            .conn()
            .map_err(JobError::from)
            .and_then(|mut conn| Ok(webhooks::for_sending(&mut conn, &ids)?));
        let found: HashMap<i32, (Delivery, Webhook)> = match found {
            Ok(rows) => rows.into_iter().map(|(d, h)| (d.id, (d, h))).collect(),
            Err(e) => return jobs.iter().map(|_| Err(e.clone())).collect(),
        };
        // A delivery or webhook deleted since, or a delivery already made (a job run
        // again after a crash): nothing to send, done.
        let mut outcomes: Vec<Result<(), JobError>> = args
            .iter()
            .map(|a| a.as_ref().map(drop).map_err(Clone::clone))
            .collect();
        let pending: Vec<(usize, &Delivery, &Webhook)> = args
            .iter()
            .enumerate()
            .filter_map(|(index, arg)| {
                let (delivery, hook) = found.get(&arg.as_ref().ok()?.delivery_id)?;
                (delivery.state != "succeeded").then_some((index, delivery, hook))
            })
            .collect();
        for &(index, ..) in &pending {
            outcomes[index] = Err(JobError::Retry("not sent".into()));
        }
        // No connection is held during the HTTP calls (up to the 10 s timeout each).
        let (sent, outcomes_of_sends) = mpsc::channel();
        std::thread::scope(|scope| {
            for &(index, delivery, hook) in &pending {
                let sent = sent.clone();
                scope.spawn(move || {
                    let answer = self.client.send(
                        &hook.url,
                        &hook.secret,
                        &delivery.event,
                        delivery.id,
                        &delivery.payload,
                    );
                    let _ = sent.send((index, delivery.id, answer));
                });
            }
            drop(sent);
            while let Ok(first) = outcomes_of_sends.recv() {
                let mut group = vec![first];
                let until = Instant::now() + GATHER;
                while let Some(left) = until.checked_duration_since(Instant::now()) {
                    match outcomes_of_sends.recv_timeout(left) {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                self.record_attempts(db, jobs, group, &mut outcomes);
            }
        });
        outcomes
    }

    /// Records the attempts of `sends` (job index, delivery id, answer) in one write and
    /// sets their jobs' outcomes. Unrecorded, an attempt is made again (delivery is at
    /// least once).
    fn record_attempts(
        &self,
        db: &Db,
        jobs: &[&Job],
        sends: Vec<(usize, i32, Sent)>,
        outcomes: &mut [Result<(), JobError>],
    ) {
        let attempts: Vec<(usize, i32, Attempt, Sent)> = sends
            .into_iter()
            .map(|(index, delivery_id, sent)| {
                let job = jobs[index];
                let attempt = Attempt::of(&sent, job.attempts >= job.max_attempts);
                (index, delivery_id, attempt, sent)
            })
            .collect();
        let written = {
            let _turn = db.write_gate();
            db.conn().map_err(JobError::from).and_then(|mut conn| {
                Ok(write_transaction(&mut conn, |conn| {
                    attempts.iter().try_for_each(|(_, id, a, _)| {
                        webhooks::record_attempt(conn, *id, a.state, a.code, a.error.clone())
                    })
                })?)
            })
        };
        for (index, _, attempt, sent) in attempts {
            outcomes[index] = match &written {
                Ok(()) => attempt.outcome(sent),
                Err(e) => Err(e.clone()),
            };
        }
    }
}
