//! Text made storable the same way on both stores: PostgreSQL's `text` cannot hold NUL (SQLite
//! can), so every text value bound to a statement has NUL replaced by U+2400 `␀` on either backend.

use std::borrow::Cow;

pub use crate::text::NUL_SHOWN;

/// `s` as it is stored: every NUL replaced by [`NUL_SHOWN`] (see [`crate::text::show_nul`]); all
/// other characters, other control characters included (both stores hold them), kept.
pub fn storable(s: &str) -> Cow<'_, str> {
    crate::text::show_nul(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_becomes_a_visible_symbol_and_nothing_else_changes() {
        assert!(matches!(
            storable("plain\t\x1b[1m\u{FFFD}"),
            Cow::Borrowed(_)
        ));
        assert_eq!(storable("a\0b\0"), "a\u{2400}b\u{2400}");
        assert_eq!(storable("a\0b").chars().nth(1), Some(NUL_SHOWN));
    }
}
