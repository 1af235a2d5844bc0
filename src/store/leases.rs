//! Task leases on PostgreSQL: a node claims a due task before running it, renews the leases of the
//! tasks it runs with its heartbeat, and survivors interrupt the running tasks of a node whose lease
//! expired. Every time is the database's `now()`, so clock skew between nodes does not matter.
//! SQLite has one engine per data directory: claims are always granted there and nothing expires.

use std::collections::HashSet;
use std::time::Duration;

use chrono::Utc;
use tokio_postgres::Client;

use super::sql::block_on;
use super::{Backend, Result, Store, ts};

/// What claiming a due task found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This node holds the task now: run it.
    Claimed,
    /// Still scheduled, but another node holds a live lease on it: look again after the lease.
    Taken,
    /// No longer scheduled (started, finished, cancelled or deleted elsewhere): forget it.
    Gone,
    /// Free, but past the round's limit: look again at once.
    Later,
}

/// A running task of a dead node that this node marked interrupted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub task_id: i64,
    /// The SSH steps that were running with a recorded process group: what a survivor ends.
    pub remote: Vec<RemoteStep>,
    /// The node that stopped renewing its lease.
    pub owner: String,
    /// The reason stored on the task (names the node and when its lease ended).
    pub reason: String,
}

/// A step that ran on a host when its node was lost, and its process group there (`PGID TAG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteStep {
    pub host: String,
    pub group_no: u32,
    pub level: u32,
    pub step_name: String,
    pub remote_group: String,
}

fn secs(lease: Duration) -> f64 {
    lease.as_secs_f64()
}

impl Store {
    /// Claims the scheduled task `id` for `node` for `lease`, by the database's clock: granted when
    /// nobody holds it, its lease expired, or `node` holds it already. One node wins a race (the
    /// others wait for its claim to commit, then see it `Taken`).
    pub fn claim_task(&self, id: i64, node: &str, lease: Duration) -> Result<Claim> {
        Ok(self
            .claim_tasks(&[id], node, lease, 1)?
            .first()
            .map_or(Claim::Gone, |c| c.1))
    }

    /// Claims up to `limit` of the due tasks `ids` (earliest ids first) in two round trips
    /// whatever their number. A row another node is claiming at that moment is waited for and then
    /// passed over (its lease is live), and the limit counts only rows this node gets, so nodes
    /// woken by the same due time take successive shares of a burst instead of the first one
    /// taking all. Answers each id once, in the order given:
    /// `Claimed`, `Taken` (another node's live lease, or a claim in flight on another node: the
    /// scheduler's re-reads catch the rare claim that then fails), `Gone`, or `Later` (free, but
    /// past this round's limit).
    pub fn claim_tasks(
        &self,
        ids: &[i64],
        node: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<(i64, Claim)>> {
        let mut seen = HashSet::new();
        let ids: Vec<i64> = ids.iter().copied().filter(|&id| seen.insert(id)).collect();
        let Backend::Pg(db) = &*self.backend else {
            return Ok(ids
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    (
                        id,
                        if i < limit {
                            Claim::Claimed
                        } else {
                            Claim::Later
                        },
                    )
                })
                .collect());
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        super::off_worker(|| {
            let conn = db.client()?;
            let claimed: HashSet<i64> = block_on(async {
                let st = conn
                    .stmt(
                        "UPDATE tasks SET owner = $2, lease_until = now() + make_interval(secs => $3)
                         WHERE id IN (
                           SELECT id FROM tasks
                           WHERE id = ANY($1) AND state = 'scheduled'
                             AND (lease_until IS NULL OR lease_until < now() OR owner = $2)
                           ORDER BY id LIMIT $4
                           FOR UPDATE)
                         RETURNING id",
                    )
                    .await?;
                conn.client
                    .query(&st, &[&ids, &node, &secs(lease), &limit])
                    .await
            })?
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .collect();
            let rest: Vec<i64> = ids
                .iter()
                .copied()
                .filter(|i| !claimed.contains(i))
                .collect();
            // Of the rest, which are still scheduled, and whether another node holds them.
            let state: std::collections::HashMap<i64, bool> = if rest.is_empty() {
                Default::default()
            } else {
                block_on(async {
                    let st = conn
                        .stmt(
                            "SELECT id, coalesce(owner <> $2 AND lease_until > now(), false)
                             FROM tasks WHERE id = ANY($1) AND state = 'scheduled'",
                        )
                        .await?;
                    conn.client.query(&st, &[&rest, &node]).await
                })?
                .iter()
                .map(|r| (r.get::<_, i64>(0), r.get::<_, bool>(1)))
                .collect()
            };
            // A free row left unclaimed under the limit: another node's claim on it was in flight
            // when this one read it; that node has it.
            let limit_hit = i64::try_from(claimed.len()).unwrap_or(i64::MAX) >= limit;
            Ok(ids
                .iter()
                .map(|&id| {
                    let c = if claimed.contains(&id) {
                        Claim::Claimed
                    } else {
                        match state.get(&id) {
                            Some(true) => Claim::Taken,
                            Some(false) if limit_hit => Claim::Later,
                            Some(false) => Claim::Taken,
                            None => Claim::Gone,
                        }
                    };
                    (id, c)
                })
                .collect())
        })
    }

    /// The node holding a live lease on task `id`, if any (always `None` on SQLite).
    pub fn lease_holder(&self, id: i64) -> Result<Option<String>> {
        let Backend::Pg(db) = &*self.backend else {
            return Ok(None);
        };
        super::off_worker(|| {
            let conn = db.client()?;
            let row = block_on(async {
                let st = conn
                    .stmt("SELECT owner FROM tasks WHERE id = $1 AND lease_until > now()")
                    .await?;
                conn.client.query_opt(&st, &[&id]).await
            })?;
            Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
        })
    }

    /// Running tasks no node holds: on SQLite every running task (one engine per data directory);
    /// on PostgreSQL those without an owner, from before leases existed. What a starting engine
    /// recovers; other nodes' tasks are left to their leases.
    pub fn unowned_running(&self) -> Result<Vec<i64>> {
        self.with(|q| {
            q.rows(
                "tasks",
                "SELECT id FROM tasks WHERE state = 'running' AND owner IS NULL ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| r.i64(0))
            .collect()
        })
    }

    /// The node that claimed task `id` last (kept after it ends: who ran it). `None` on SQLite.
    pub fn task_owner(&self, id: i64) -> Result<Option<String>> {
        self.with(|q| {
            Ok(q.row(
                "tasks",
                "SELECT owner FROM tasks WHERE id = ?1",
                &super::sql::vals![id],
            )?
            .map(|r| r.opt_str(0))
            .transpose()?
            .flatten())
        })
    }
}

/// Renews `node`'s leases on `ids` (the tasks it runs or is about to run); returns the ids it still
/// holds. A task missing from the answer was taken from this node (a survivor interrupted it after
/// the lease expired, or it ended).
pub(super) fn renew(client: &Client, node: &str, ids: &[i64], lease: Duration) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = block_on(client.query(
        "UPDATE tasks SET lease_until = now() + make_interval(secs => $3)
         WHERE owner = $1 AND id = ANY($2) AND state IN ('scheduled', 'running')
         RETURNING id",
        &[&node, &ids, &secs(lease)],
    ))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Marks interrupted every running task whose owner is another node and whose lease expired, and
/// fails its unfinished step runs, in one transaction. Each row is updated conditionally, so when
/// several survivors look at once exactly one wins each task.
pub(super) fn interrupt_expired(client: &mut Client, me: &str) -> Result<Vec<Recovered>> {
    let now = ts(Utc::now());
    let tx = block_on(client.transaction())?;
    let rows = block_on(tx.query(
        "UPDATE tasks SET state = 'interrupted', updated_at = $2, finished_at = $2,
                reason = 'node ' || owner || ' stopped renewing its lease at '
                         || to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
                         || ' UTC (database clock); interrupted, never re-run: retry it to continue \
                         from the failed steps',
                lease_until = NULL
         WHERE state = 'running' AND owner IS NOT NULL AND owner <> $1 AND lease_until < now()
         RETURNING id, owner, reason",
        &[&me, &now],
    ))?;
    let out: Vec<Recovered> = rows
        .iter()
        .map(|r| Recovered {
            task_id: r.get(0),
            remote: Vec::new(),
            owner: r.get(1),
            reason: r.get(2),
        })
        .collect();
    let mut out = out;
    if !out.is_empty() {
        let ids: Vec<i64> = out.iter().map(|r| r.task_id).collect();
        for r in block_on(tx.query(
            "SELECT task_id, host, grp, level, step_name, remote_group FROM step_runs
             WHERE task_id = ANY($1) AND state = 'running' AND remote_group IS NOT NULL
             ORDER BY id",
            &[&ids],
        ))? {
            let task: i64 = r.get(0);
            if let Some(rec) = out.iter_mut().find(|x| x.task_id == task) {
                rec.remote.push(RemoteStep {
                    host: r.get(1),
                    group_no: u32::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                    level: u32::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                    step_name: r.get(4),
                    remote_group: r.get(5),
                });
            }
        }
        block_on(tx.execute(
            "UPDATE step_runs SET state = 'failed', finished_at = $2,
                    reason = 'interrupted: the node running it stopped renewing its lease'
             WHERE task_id = ANY($1) AND state IN ('running', 'waiting', 'manual')",
            &[&ids, &now],
        ))?;
    }
    block_on(tx.commit())?;
    Ok(out)
}

/// Deletes the rows of nodes whose heartbeat is older than a day (stopped or crashed long ago).
pub(super) fn forget_old_nodes(client: &Client, me: &str) -> Result<u64> {
    Ok(block_on(client.execute(
        "DELETE FROM nodes WHERE id <> $1 AND heartbeat_at < now() - interval '1 day'",
        &[&me],
    ))?)
}
