//! Task leases at the store level on a real PostgreSQL: one claimant wins a due task, the
//! scheduled → running step is conditional on the claim, renewals report lost tasks, exactly one
//! survivor interrupts a dead node's running tasks, and `nodes()` lists the tasks each node runs.
//! On SQLite claims are always granted and nothing expires (one engine per data directory).

mod support;

use std::time::Duration;

use chrono::Utc;
use opsdeck::model::{StepState, TaskState};
use opsdeck::store::{Claim, Store};
use support::postgres::{self, Postgres};
use support::store_tasks::scheduled_task;

fn scheduled(store: &Store) -> i64 {
    scheduled_task(store, "lease", Utc::now())
}

const LEASE: Duration = Duration::from_secs(30);

#[test]
fn sqlite_claims_are_always_granted_and_nothing_is_owned() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("opsdeck.db")).unwrap();
    let id = scheduled(&store);
    assert_eq!(store.claim_task(id, "x", LEASE).unwrap(), Claim::Claimed);
    assert_eq!(store.claim_task(id, "y", LEASE).unwrap(), Claim::Claimed);
    assert_eq!(store.lease_holder(id).unwrap(), None);
    let claim = store.claim_engine().unwrap();
    assert!(claim.tick(&[id], LEASE).unwrap().lost.is_empty());
    assert!(
        store
            .transition_task(id, &[TaskState::Scheduled], TaskState::Running, None)
            .unwrap()
    );
    // A crashed SQLite engine's running tasks are all recovered at the next start.
    assert_eq!(store.unowned_running().unwrap(), vec![id]);
}

#[test]
fn postgres_leases_give_each_task_to_one_node_and_survivors_interrupt_a_dead_ones() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("leases");
    let store = Store::connect(&url).unwrap();
    let (a, b) = (store.claim_engine().unwrap(), store.claim_engine().unwrap());
    // Claims made in one process at once are still distinct nodes.
    let c = store.claim_engine().unwrap();
    let (na, nb, nc) = (
        a.node_id().unwrap().to_string(),
        b.node_id().unwrap().to_string(),
        c.node_id().unwrap().to_string(),
    );
    assert!(na != nc && nb != nc, "{na} {nb} {nc}");

    // Many nodes racing for one task: exactly one wins.
    let id = scheduled(&store);
    let winners: Vec<Claim> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let url = url.clone();
                s.spawn(move || {
                    let st = Store::connect(&url).unwrap();
                    st.claim_task(id, &format!("racer-{i}"), LEASE).unwrap()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        winners.iter().filter(|c| **c == Claim::Claimed).count(),
        1,
        "{winners:?}"
    );
    assert_eq!(
        winners.iter().filter(|c| **c == Claim::Taken).count(),
        7,
        "{winners:?}"
    );
    let holder = store.lease_holder(id).unwrap().expect("a live lease");
    assert!(holder.starts_with("racer-"), "{holder}");
    // Only the holder may start it; another node's scheduled → running changes nothing.
    assert!(
        !store
            .transition_task_owned(
                id,
                &[TaskState::Scheduled],
                TaskState::Running,
                None,
                Some(&na)
            )
            .unwrap()
    );
    assert_eq!(store.task(id).unwrap().unwrap().state, TaskState::Scheduled);
    // The holder claims again (renewal), and an expired lease is claimable by another node.
    assert_eq!(
        store.claim_task(id, &holder, LEASE).unwrap(),
        Claim::Claimed
    );
    pg.sql(
        "leases",
        &format!("UPDATE tasks SET lease_until = now() - interval '1 second' WHERE id = {id}"),
    )
    .unwrap();
    assert_eq!(store.claim_task(id, &na, LEASE).unwrap(), Claim::Claimed);
    assert!(
        store
            .transition_task_owned(
                id,
                &[TaskState::Scheduled],
                TaskState::Running,
                None,
                Some(&na)
            )
            .unwrap()
    );
    // A running task is gone for claimers.
    assert_eq!(store.claim_task(id, &nb, LEASE).unwrap(), Claim::Gone);
    let step = store.step_runs(id).unwrap()[0].id;
    store
        .set_step_state(step, StepState::Running, None, "")
        .unwrap();

    // A second task runs on B; the listing shows each node's running tasks.
    let id_b = scheduled(&store);
    assert_eq!(store.claim_task(id_b, &nb, LEASE).unwrap(), Claim::Claimed);
    assert!(
        store
            .transition_task_owned(
                id_b,
                &[TaskState::Scheduled],
                TaskState::Running,
                None,
                Some(&nb)
            )
            .unwrap()
    );
    let nodes = store.nodes().unwrap();
    let of = |n: &str| nodes.iter().find(|x| x.id == n).unwrap().clone();
    assert_eq!(of(&na).running_tasks, vec![id]);
    assert_eq!(of(&na).running, 1);
    assert_eq!(of(&nb).running_tasks, vec![id_b]);
    assert_eq!(of(&nc).running, 0);

    // A's renewals keep its task; nobody interrupts a live lease.
    let t = a.tick(&[id], LEASE).unwrap();
    assert!(t.lost.is_empty() && t.recovered.is_empty(), "{t:?}");
    assert!(c.tick(&[], LEASE).unwrap().recovered.is_empty());

    // A stops renewing (its lease ends, by the database's clock): B and C look at once, exactly
    // one marks the task interrupted, with the reason naming A; B's own task is untouched.
    pg.sql(
        "leases",
        &format!("UPDATE tasks SET lease_until = now() - interval '1 second' WHERE id = {id}"),
    )
    .unwrap();
    let (rb, rc) = std::thread::scope(|s| {
        let hb = s.spawn(|| b.tick(&[id_b], LEASE).unwrap());
        let hc = s.spawn(|| c.tick(&[], LEASE).unwrap());
        (hb.join().unwrap(), hc.join().unwrap())
    });
    let all: Vec<_> = rb.recovered.iter().chain(rc.recovered.iter()).collect();
    assert_eq!(all.len(), 1, "{rb:?} {rc:?}");
    assert_eq!(all[0].task_id, id);
    assert_eq!(all[0].owner, na);
    assert!(rb.lost.is_empty(), "{rb:?}");
    let task = store.task(id).unwrap().unwrap();
    assert_eq!(task.state, TaskState::Interrupted);
    assert!(task.finished_at.is_some());
    assert!(
        task.reason
            .contains(&format!("node {na} stopped renewing its lease at"))
            && task.reason.contains("never re-run"),
        "{}",
        task.reason
    );
    assert_eq!(
        store.step_run(step).unwrap().unwrap().state,
        StepState::Failed
    );
    assert_eq!(store.task(id_b).unwrap().unwrap().state, TaskState::Running);
    // A comes back (its heartbeat worked again): the task is no longer its own, and it is told.
    let t = a.tick(&[id], LEASE).unwrap();
    assert_eq!(t.lost, vec![id]);
    // The owner stays for history; the lease is gone. A retry makes it claimable again.
    assert_eq!(store.task_owner(id).unwrap().as_deref(), Some(na.as_str()));
    assert_eq!(store.lease_holder(id).unwrap(), None);
    assert!(
        store
            .transition_task(id, &[TaskState::Interrupted], TaskState::Scheduled, None)
            .unwrap()
    );
    assert_eq!(store.claim_task(id, &nc, LEASE).unwrap(), Claim::Claimed);
    // Pre-lease running tasks (no owner) are what a starting engine recovers; owned ones are not.
    pg.sql(
        "leases",
        &format!("UPDATE tasks SET owner = NULL, state = 'running' WHERE id = {id}"),
    )
    .unwrap();
    assert_eq!(store.unowned_running().unwrap(), vec![id]);

    // Rows of nodes silent for over a day are deleted by any node's tick.
    pg.sql(
        "leases",
        &format!("UPDATE nodes SET heartbeat_at = now() - interval '25 hours' WHERE id = '{na}'"),
    )
    .unwrap();
    b.tick(&[id_b], LEASE).unwrap();
    let ids: Vec<String> = store.nodes().unwrap().into_iter().map(|n| n.id).collect();
    assert!(!ids.contains(&na), "{ids:?}");
    assert!(ids.contains(&nb) && ids.contains(&nc), "{ids:?}");
}

#[test]
fn postgres_batch_claims_split_overlapping_due_tasks_between_nodes() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("batch_claims");
    let store = Store::connect(&url).unwrap();
    let ids: Vec<i64> = (0..5).map(|_| scheduled(&store)).collect();
    let gone = ids[4];
    assert!(
        store
            .transition_task(gone, &[TaskState::Scheduled], TaskState::Cancelled, None)
            .unwrap()
    );
    let a = store
        .claim_tasks(&[ids[0], ids[1], ids[2]], "node-a", LEASE, 16)
        .unwrap();
    assert_eq!(
        a,
        vec![
            (ids[0], Claim::Claimed),
            (ids[1], Claim::Claimed),
            (ids[2], Claim::Claimed)
        ]
    );
    // Node b asks for an overlapping batch, with a duplicate and a cancelled task: it gets only
    // the free one, each id answered once, in its order.
    let b = store
        .claim_tasks(&[ids[2], ids[3], ids[1], ids[3], gone], "node-b", LEASE, 16)
        .unwrap();
    assert_eq!(
        b,
        vec![
            (ids[2], Claim::Taken),
            (ids[3], Claim::Claimed),
            (ids[1], Claim::Taken),
            (gone, Claim::Gone)
        ]
    );
    assert_eq!(
        store.lease_holder(ids[3]).unwrap().as_deref(),
        Some("node-b")
    );
    assert_eq!(
        store.lease_holder(ids[0]).unwrap().as_deref(),
        Some("node-a")
    );
    // A holder claiming again keeps what it holds (a renewal, not a loss).
    assert_eq!(
        store.claim_tasks(&[ids[0]], "node-a", LEASE, 16).unwrap(),
        vec![(ids[0], Claim::Claimed)]
    );
    assert!(
        store
            .claim_tasks(&[], "node-a", LEASE, 16)
            .unwrap()
            .is_empty()
    );

    // A round claims at most its limit, earliest ids first; the rest are free for later.
    let three: Vec<i64> = (0..3).map(|_| scheduled(&store)).collect();
    assert_eq!(
        store.claim_tasks(&three, "node-c", LEASE, 2).unwrap(),
        vec![
            (three[0], Claim::Claimed),
            (three[1], Claim::Claimed),
            (three[2], Claim::Later)
        ]
    );

    // Racing batches over the same 40 tasks: each task is claimed exactly once, and the racers
    // share them (a round skips the rows another racer is claiming).
    let many: Vec<i64> = (0..40).map(|_| scheduled(&store)).collect();
    let ready = std::sync::Barrier::new(4);
    let results: Vec<Vec<(i64, Claim)>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let (url, mut mine, ready) = (url.clone(), many.clone(), &ready);
                s.spawn(move || {
                    mine.rotate_left(i * 10);
                    let st = Store::connect(&url).unwrap();
                    ready.wait();
                    // Rounds of 8, as the scheduler does, until nothing is left for later.
                    let mut got = Vec::new();
                    while !mine.is_empty() {
                        let round = st
                            .claim_tasks(&mine, &format!("racer-{i}"), LEASE, 8)
                            .unwrap();
                        mine = round
                            .iter()
                            .filter(|(_, c)| *c == Claim::Later)
                            .map(|(id, _)| *id)
                            .collect();
                        got.extend(round.into_iter().filter(|(_, c)| *c != Claim::Later));
                    }
                    got
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for id in &many {
        let winners = results
            .iter()
            .flatten()
            .filter(|(t, c)| t == id && *c == Claim::Claimed)
            .count();
        assert_eq!(winners, 1, "task {id}: {results:?}");
    }
    let racers_with_claims = results
        .iter()
        .filter(|r| r.iter().any(|(_, c)| *c == Claim::Claimed))
        .count();
    assert!(racers_with_claims > 1, "one racer took all: {results:?}");
}

#[test]
fn a_node_refuses_to_join_an_engine_of_an_older_opsdeck_that_takes_no_leases() {
    if !postgres::available() {
        return;
    }
    let pg = Postgres::start();
    let url = pg.create_db("legacy");
    let store = Store::connect(&url).unwrap();
    // An engine of an opsdeck before leases holds this session lock while it runs.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (client, conn) = rt
        .block_on(tokio_postgres::connect(&url, tokio_postgres::NoTls))
        .unwrap();
    rt.spawn(conn);
    rt.block_on(client.execute("SET application_name = 'opsdeck engine old pid 1'", &[]))
        .unwrap();
    rt.block_on(client.execute("SELECT pg_advisory_lock($1)", &[&0x6f70_7365_i64]))
        .unwrap();
    let e = store.claim_engine().err().expect("refused").to_string();
    assert!(e.contains("older opsdeck"), "{e}");
    assert!(e.contains("opsdeck engine old pid 1"), "{e}");
    assert!(!e.contains(postgres::PASSWORD), "{e}");
    assert!(
        store.nodes().unwrap().is_empty(),
        "a refused node never registers"
    );
    // Once it stopped, nodes start (and do not keep the old lock: several may run).
    drop(client);
    std::thread::sleep(Duration::from_millis(500));
    let a = store.claim_engine().unwrap();
    let b = store.claim_engine().unwrap();
    assert_ne!(a.node_id(), b.node_id());
    assert_eq!(store.nodes().unwrap().len(), 2);
}
