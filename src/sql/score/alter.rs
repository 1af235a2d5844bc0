//! ALT.* score rules: ALTER TABLE statements.

#[allow(unused_imports)]
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[];
