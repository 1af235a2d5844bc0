//! 1,000 submits at once over HTTP: every one answered 201, and each stored exactly once.

mod api_common;
mod common;

use std::collections::BTreeSet;

use api_common::{Server, spec_json};
use opsdeck::config::Config;
use opsdeck::model::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_submits_are_stored_exactly_once() {
    let s = Server::start(Config::default()).await;
    let token = s.user("olga", Role::Operator);
    let client = reqwest::Client::new();
    let url = s.api("/tasks");
    let mut handles = Vec::new();
    for i in 0..1000 {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        handles.push(tokio::spawn(async move {
            let mut body = spec_json(&format!("load-{i}"), &[], 1);
            // Timed steps a day ahead: the engine stores and schedules, nothing runs.
            body["exec_time"] =
                serde_json::json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339());
            let r = client
                .post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            (i, st, v["id"].as_i64())
        }));
    }
    let mut ids = BTreeSet::new();
    for h in handles {
        let (i, st, id) = h.await.unwrap();
        assert_eq!(st, 201, "submit {i}");
        assert!(ids.insert(id.expect("an id")), "id {id:?} answered twice");
    }
    assert_eq!(ids.len(), 1000);
    let stored = s
        .world
        .store
        .tasks(&opsdeck::store::TaskFilter {
            limit: Some(5000),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stored.len(), 1000, "each submit stored once");
    let names: BTreeSet<String> = stored.iter().map(|t| t.spec.name.clone()).collect();
    assert_eq!(names.len(), 1000, "no submit stored twice or lost");
    let stored_ids: BTreeSet<i64> = stored.iter().map(|t| t.id).collect();
    assert_eq!(stored_ids, ids, "the answered ids are the stored ones");
    assert!(stored.iter().all(|t| t.spec.submitter == "olga"));
    let audits = s.world.store.audit_entries(None, 5000).unwrap();
    assert_eq!(audits.iter().filter(|a| a.action == "submit").count(), 1000);
    s.stop().await;
}
