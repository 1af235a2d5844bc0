//! Opening opsdeck's world: config, store, and the first-run seeding of a demo inventory and built-in templates.

use anyhow::Context as _;

use crate::config::{Config, Paths};
use crate::store::Store;

/// What every command needs: the resolved paths, the config, the current user and the store.
pub struct Context {
    pub paths: Paths,
    pub config: Config,
    pub user: String,
    pub store: Store,
    /// True on the run that created the config (and seeded the demo inventory).
    pub first_run: bool,
}

impl Context {
    pub fn open(paths: Paths) -> anyhow::Result<Context> {
        let (config, first_run) = Config::load_or_create(&paths.config_file)?;
        std::fs::create_dir_all(&paths.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                paths.data_dir.display()
            )
        })?;
        let url = paths
            .database_url
            .clone()
            .or_else(|| config.database_url.clone());
        let store = Store::open_either(url.as_deref(), &paths.database())?;
        let user = config.current_user();
        seed(&store, first_run)?;
        Ok(Context {
            paths,
            config,
            user,
            store,
            first_run,
        })
    }
}

/// Built-in templates are added when missing; the demo inventory only on the first run into an empty store.
fn seed(store: &Store, first_run: bool) -> anyhow::Result<()> {
    for (file, src) in crate::assets::BUILTIN_TEMPLATES {
        let tpl = crate::templates::load_template_str(src, &format!("assets/templates/{file}"))?;
        if store.template(tpl.id, None)?.is_none() {
            store.put_template(&tpl, src, "opsdeck")?;
        }
    }
    if first_run {
        let inv = store.load_inventory()?;
        if inv.hosts.is_empty() {
            let demo = crate::inventory::load_str(
                crate::assets::DEMO_INVENTORY,
                "assets/demo-inventory.toml",
                crate::inventory::Format::Toml,
            )?;
            if let Err(e) = store.import_inventory(demo, false)? {
                anyhow::bail!("the built-in demo inventory is invalid: {e}");
            }
            store.audit("opsdeck", "seed-demo-inventory", None, "first run")?;
        }
    }
    Ok(())
}
