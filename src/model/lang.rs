//! The user-facing language (English or Simplified Chinese) shared by the console, CLI and SQL messages.

/// The language of labels and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// `--lang`, then the config, then `LANG` (zh_* → Chinese).
    pub fn resolve(flag: Option<&str>, config: Option<&str>) -> Lang {
        let pick = |s: &str| {
            if s.to_ascii_lowercase().starts_with("zh") {
                Some(Lang::Zh)
            } else if s.to_ascii_lowercase().starts_with("en") {
                Some(Lang::En)
            } else {
                None
            }
        };
        flag.and_then(pick)
            .or_else(|| config.and_then(pick))
            .or_else(|| std::env::var("LANG").ok().as_deref().and_then(pick))
            .unwrap_or_default()
    }
}
