//! LIT.* score rules: literals and statement terminators.

#[allow(unused_imports)]
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[];
