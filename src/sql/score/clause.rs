//! CLA.* score rules: clauses (WHERE, ORDER BY, GROUP BY, LIMIT, HAVING) and whole-statement shape.

#[allow(unused_imports)]
use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[];
