//! RES.* score rules: result correctness (non-determinism, logic errors).

#[allow(unused_imports)]
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[];
