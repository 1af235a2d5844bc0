//! Secret template args never leave the server: every task the API returns has them replaced by `******`.

use std::collections::HashMap;

use super::error::ApiError;
use crate::backend::TaskDetail;
use crate::exec::render::MASK;
use crate::model::{Task, Template};
use crate::store::Store;

/// Masks tasks against the template versions they were submitted with (each version read once).
pub struct Masker<'a> {
    store: &'a Store,
    templates: HashMap<(u32, u32), Option<Template>>,
}

impl<'a> Masker<'a> {
    pub fn new(store: &'a Store) -> Self {
        Masker {
            store,
            templates: HashMap::new(),
        }
    }

    pub fn task(&mut self, mut t: Task) -> Task {
        let key = (t.spec.template_id, t.template_version);
        let store = self.store;
        let tpl = self.templates.entry(key).or_insert_with(|| {
            store
                .template(key.0, Some(key.1))
                .ok()
                .flatten()
                .map(|s| s.template)
        });
        let secrets = match tpl {
            Some(tpl) => t.spec.secret_arg_names(tpl),
            // Unknown template version: hide every value rather than risk one.
            None => t.spec.args.keys().cloned().collect(),
        };
        for (k, v) in t.spec.args.iter_mut() {
            if secrets.contains(k) && !v.is_empty() {
                *v = MASK.to_string();
            }
        }
        t
    }
}

async fn blocking<T: Send + 'static>(
    store: &Store,
    f: impl FnOnce(&mut Masker<'_>) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&mut Masker::new(&store)))
        .await
        .map_err(|e| ApiError::internal(format!("internal error: {e}")))
}

/// One task, masked.
pub async fn task(store: &Store, t: Task) -> Result<Task, ApiError> {
    blocking(store, move |m| m.task(t)).await
}

/// A list of tasks, masked.
pub async fn tasks(store: &Store, ts: Vec<Task>) -> Result<Vec<Task>, ApiError> {
    blocking(store, move |m| ts.into_iter().map(|t| m.task(t)).collect()).await
}

/// A task with its step runs, masked.
pub async fn detail(store: &Store, mut d: TaskDetail) -> Result<TaskDetail, ApiError> {
    blocking(store, move |m| {
        d.task = m.task(d.task);
        d
    })
    .await
}
