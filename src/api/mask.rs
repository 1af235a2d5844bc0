//! Secret template args never leave the server: every task the API returns has them replaced by
//! `******`, and non-admins see secret defaults of templates masked.

use std::collections::HashMap;

use super::error::ApiError;
use crate::backend::TaskDetail;
use crate::exec::render::{MASK, Masker as RenderMasker};
use crate::model::{Role, Task, Template};
use crate::store::{Store, StoredTemplate};

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

/// A template as a non-admin may see it: the default of every `secret` arg is `******`, in
/// `args` and in every printed form of it in `source`. Admins (who import templates) see all.
pub fn template_for(role: Role, mut t: Template) -> Template {
    if role < Role::Admin {
        for a in t.args.iter_mut().filter(|a| a.secret) {
            if a.default.as_ref().is_some_and(|d| !d.is_empty()) {
                a.default = Some(MASK.to_string());
            }
        }
    }
    t
}

/// A stored template (with its TOML source) as `role` may see it.
pub fn stored_template_for(role: Role, mut t: StoredTemplate) -> StoredTemplate {
    if role < Role::Admin {
        let defaults = t
            .template
            .args
            .iter()
            .filter(|a| a.secret)
            .filter_map(|a| a.default.clone());
        let m = RenderMasker::new(defaults);
        if !m.is_empty() {
            t.source = m.mask(&t.source);
        }
        t.template = template_for(role, t.template);
    }
    t
}
