//! LCK.* score rules: statements that take wide locks.

use sqlparser::ast::{OnInsert, SetExpr, Statement};

use super::rule::{Ctx, Hit, Rule, Text};

pub(super) const RULES: &[Rule] = &[
    Rule {
        id: "LCK.001",
        level: 3,
        summary: Text {
            en: "INSERT … SELECT locks widely",
            zh: "INSERT INTO xx SELECT 加锁粒度较大请谨慎",
        },
        explain: Text {
            en: "With statement-based replication or REPEATABLE READ, INSERT … SELECT takes shared next-key locks on every row (and gap) it reads from the source table, blocking writers for the whole statement. Copy in small batches by primary key range, or SELECT into the application and INSERT from there.",
            zh: "INSERT INTO xx SELECT 加锁粒度较大请谨慎：在 REPEATABLE READ 或基于语句的复制下，会对源表读到的每一行及间隙加共享锁，整个语句执行期间阻塞写入。建议按主键范围分批执行，或先查询出数据再插入。",
        },
        check: Some(insert_select),
    },
    Rule {
        id: "LCK.002",
        level: 3,
        summary: Text {
            en: "INSERT … ON DUPLICATE KEY UPDATE",
            zh: "请慎用 INSERT ON DUPLICATE KEY UPDATE",
        },
        explain: Text {
            en: "With an AUTO_INCREMENT primary key, every INSERT … ON DUPLICATE KEY UPDATE that updates still consumes an id, so ids grow fast with gaps and can overflow; on tables with several unique keys it can also lock more than expected and diverge on replicas. Prefer an explicit SELECT then INSERT or UPDATE, or make sure the key range suffices.",
            zh: "当主键为自增键时使用 INSERT ON DUPLICATE KEY UPDATE 可能会导致主键出现大量不连续快速增长，导致主键快速溢出无法继续写入。极端情况下还有可能导致主从数据不一致。",
        },
        check: Some(insert_on_duplicate),
    },
];

/// LCK.001: INSERT/REPLACE whose rows come from a query rather than VALUES.
fn insert_select(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Insert(i)) = c.ast else {
        return Vec::new();
    };
    match i.source.as_deref() {
        Some(q) if !matches!(q.body.as_ref(), SetExpr::Values(_)) => {
            let at = c
                .find_word("SELECT")
                .map(|(_, t)| Hit::tok(t))
                .unwrap_or_default();
            vec![at]
        }
        _ => Vec::new(),
    }
}

/// LCK.002: `INSERT … ON DUPLICATE KEY UPDATE`.
fn insert_on_duplicate(c: &Ctx) -> Vec<Hit> {
    let Some(Statement::Insert(i)) = c.ast else {
        return Vec::new();
    };
    if !matches!(i.on, Some(OnInsert::DuplicateKeyUpdate(_))) {
        return Vec::new();
    }
    let at = (0..c.toks.len())
        .find(|&k| crate::sql::tokens::is_seq(c.toks, k, &["ON", "DUPLICATE", "KEY"]))
        .and_then(|k| c.toks.get(k))
        .map(Hit::tok)
        .unwrap_or_default();
    vec![at]
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{assert_rule, hits};

    #[test]
    fn lck_001_insert_select() {
        assert_rule(
            "LCK.001",
            &[
                "INSERT INTO tbl SELECT * FROM tbl2",
                "REPLACE INTO t (a) SELECT a FROM u WHERE b = 1",
                "INSERT INTO t (a) SELECT a FROM u UNION SELECT a FROM v",
            ],
            &["INSERT INTO t (a) VALUES (1)", "SELECT * FROM t"],
        );
        assert_eq!(
            hits("LCK.001", "INSERT INTO t SELECT 1")[0].at,
            Some((1, 15))
        );
    }

    #[test]
    fn lck_002_insert_on_duplicate() {
        assert_rule(
            "LCK.002",
            &["INSERT INTO t1(a,b,c) VALUES (1,2,3) ON DUPLICATE KEY UPDATE c=c+1"],
            &[
                "INSERT INTO t1(a,b,c) VALUES (1,2,3)",
                "REPLACE INTO t1(a) VALUES (1)",
            ],
        );
        assert_eq!(
            hits(
                "LCK.002",
                "INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2"
            )[0]
            .at,
            Some((1, 30))
        );
    }
}
