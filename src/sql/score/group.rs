//! GRP.* score rules: GROUP BY.

#[allow(unused_imports)]
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[];
