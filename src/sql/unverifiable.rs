//! Recognises valid MySQL that sqlparser cannot parse (stored programs, account management,
//! table options, locking clauses, …), so that a parse failure there becomes a
//! "cannot be verified locally" warning instead of a false syntax error.

use sqlparser::tokenizer::Token;

use super::tokens::{Tok, is_seq, is_word, word};

/// Statements sqlparser does not (fully) support, recognised from their first words.
/// Each entry is a sequence of words; `|` separates alternatives.
const LEADING: &[&[&str]] = &[
    &["GRANT|REVOKE|HANDLER|DO|CHECKSUM|CHECK|REPAIR|CACHE|FLUSH|RESET|PURGE|CHANGE|SHOW"],
    &["INSTALL|UNINSTALL|XA|SIGNAL|RESIGNAL|GET|PREPARE|EXECUTE|DEALLOCATE|HELP|BINLOG"],
    &["KILL|SHUTDOWN|IMPORT|CLONE|LOCK|UNLOCK|RENAME|BACKUP|DECLARE|IF|WHILE|LOOP|REPEAT"],
    &["ANALYZE|OPTIMIZE|LOAD|BEGIN|DESCRIBE|DESC|EXPLAIN|CALL|SET|USE|TRUNCATE|STOP"],
    &["START", "SLAVE|REPLICA|GROUP_REPLICATION"],
    &[
        "ALTER|DROP",
        "EVENT|PROCEDURE|FUNCTION|USER|ROLE|SERVER|TRIGGER|TABLESPACE|LOGFILE",
    ],
    &[
        "ALTER|DROP",
        "DATABASE|SCHEMA|INSTANCE|SEQUENCE|PACKAGE|VIEW|INDEX",
    ],
];

/// Object kinds after CREATE (modifiers such as OR REPLACE or DEFINER=… may come first).
const CREATE_OBJECTS: &str = "PROCEDURE|FUNCTION|TRIGGER|EVENT|USER|ROLE|SERVER|TABLESPACE|LOGFILE|SEQUENCE|PACKAGE|DEFINER|ALGORITHM|AGGREGATE|SPATIAL|FULLTEXT";

/// Words that start MySQL-only clauses sqlparser may not know, wherever they appear.
const MARKERS: &[&[&str]] = &[
    &["PARTITION|PARTITIONS|SUBPARTITION|SUBPARTITIONS"],
    &["LOCK", "IN", "SHARE", "MODE"],
    &["NOWAIT|WAIT|SKIP"],
    &["INTO", "OUTFILE|DUMPFILE"],
    &["CONVERT", "TO"],
    &["ENGINE|CHARSET|COLLATE|ROW_FORMAT|KEY_BLOCK_SIZE|STATS_PERSISTENT|STATS_AUTO_RECALC"],
    &["STATS_SAMPLE_PAGES|AVG_ROW_LENGTH|COMPRESSION|ENCRYPTION|TABLESPACE|STORAGE|DIRECTORY"],
    &["INSERT_METHOD|MAX_ROWS|MIN_ROWS|PACK_KEYS|DELAY_KEY_WRITE|PAGE_CHECKSUM|TRANSACTIONAL"],
    &["ALGORITHM|GENERATED|VIRTUAL|PERSISTENT|STORED|INVISIBLE|VISIBLE|VERSIONING|PERIOD"],
    &["SPATIAL|MATCH|SOUNDS|STRAIGHT_JOIN|SQL_CALC_FOUND_ROWS|SQL_NO_CACHE|SQL_CACHE"],
    &["SQL_SMALL_RESULT|SQL_BIG_RESULT|SQL_BUFFER_RESULT|HIGH_PRIORITY|LOW_PRIORITY|DELAYED"],
    &["QUICK|ROLLUP|JSON_TABLE|DISTINCTROW|ZEROFILL|DEFINER|MODIFY|DISCARD"],
    &["REORGANIZE|EXCHANGE|REBUILD|COALESCE|REMOVE|UPGRADE|ENABLE|DISABLE"],
    &["USING", "BTREE|HASH|RTREE"],
    &["WITH", "PARSER|SYSTEM|CHECK"],
    &["CHARACTER", "SET"],
    &["DEFAULT", "CHARACTER|CHARSET|COLLATE"],
    &["SQL", "SECURITY"],
    &["ON", "COMPLETION|SCHEDULE"],
    &["MEMBER", "OF"],
    &["NATURAL", "LEFT|RIGHT|INNER|JOIN"],
    &["DIV|MOD|XOR"],
    // INTERVAL units sqlparser does not know: the compound ones and ODBC's SQL_TSI_*.
    &["SECOND_MICROSECOND|MINUTE_MICROSECOND|HOUR_MICROSECOND|DAY_MICROSECOND|MINUTE_SECOND"],
    &["HOUR_SECOND|HOUR_MINUTE|DAY_SECOND|DAY_MINUTE|DAY_HOUR|YEAR_MONTH"],
    &["SQL_TSI_MICROSECOND|SQL_TSI_SECOND|SQL_TSI_MINUTE|SQL_TSI_HOUR|SQL_TSI_DAY|SQL_TSI_WEEK"],
    &["SQL_TSI_MONTH|SQL_TSI_QUARTER|SQL_TSI_YEAR"],
    // Index type clauses in a key definition, `CREATE TABLE … IGNORE|REPLACE SELECT`.
    &["TYPE", "BTREE|HASH|RTREE"],
    &["IGNORE|REPLACE", "SELECT|AS"],
];

/// ALTER TABLE operations and options sqlparser does not know.
const ALTER_OPS: &str = "TRUNCATE|COMMENT|ORDER|FORCE|ANALYZE|CHECK|OPTIMIZE|REBUILD|REPAIR|COALESCE|DISCARD|IMPORT|ENGINE|AUTO_INCREMENT|ALGORITHM|LOCK|CONVERT|MODIFY|CHANGE|DEFAULT|CHARACTER|CHARSET|COLLATE|ROW_FORMAT|KEY_BLOCK_SIZE|STATS_PERSISTENT|PACK_KEYS|CHECKSUM|EXCHANGE|REORGANIZE|REMOVE|UPGRADE|ENABLE|DISABLE|WITH|WITHOUT|PARTITION|ADD|DROP|ALTER|RENAME";

/// If the statement is a construct sqlparser does not support, and it starts at or before the
/// failure point (`err_at` = line, column inside the statement; None = at the end), returns a
/// short description of it.
pub fn unverifiable(toks: &[Tok], err_at: Option<(usize, usize)>) -> Option<String> {
    if let Some(desc) = leading(toks) {
        return Some(desc);
    }
    let err_tok = err_at.and_then(|pos| toks.iter().position(|t| (t.line, t.column) >= pos));
    if let Some(desc) = alter_table_op(toks, err_tok) {
        return Some(desc);
    }
    if let Some(i) = special_tokens(toks)
        && err_tok.is_none_or(|e| i <= e)
    {
        return Some(toks[i].token.to_string());
    }
    // `DELETE t1.*, t2.* FROM …`: the multi-table form names its tables as `t.*`.
    if let Some(e) = err_tok
        && is_word(toks, 0, "DELETE")
        && toks[e].token == Token::Mul
        && e > 0
        && toks[e - 1].token == Token::Period
        && (toks.get(e + 1).is_some_and(|t| t.token == Token::Comma)
            || is_word(toks, e + 1, "FROM"))
    {
        return Some("multi-table DELETE".to_string());
    }
    if let Some(e) = err_tok
        && is_word(toks, 0, "UPDATE")
        && toks[e].token == Token::Comma
        && toks
            .get(e + 1)
            .is_some_and(|t| matches!(t.token, Token::Word(_)))
        && !(0..e).any(|k| is_word(toks, k, "SET"))
    {
        return Some("multi-table UPDATE".to_string());
    }
    // A clause sqlparser does not know makes it fail at the clause or just after its keywords.
    let near_error = |i: usize, len: usize| match err_tok {
        None => true,
        Some(e) => i <= e && e <= i + len,
    };
    for seq in MARKERS {
        for i in 0..toks.len() {
            // `OVER (PARTITION …`, `AS (PARTITION …` and `(PARTITION BY …` are windows;
            // `ADD PARTITION (PARTITION p …` is a partition definition.
            let in_window_spec = || {
                i > 0
                    && toks[i - 1].token == Token::LParen
                    && (is_word(toks, i + 1, "BY") || (i > 1 && is_seq(toks, i - 2, &["OVER|AS"])))
            };
            if is_seq(toks, i, seq) && near_error(i, seq.len()) && !in_window_spec() {
                let words: Vec<String> = (i..i + seq.len())
                    .filter_map(|k| word(&toks[k]))
                    .map(String::from)
                    .collect();
                return Some(words.join(" "));
            }
        }
    }
    None
}

/// `ALTER [ONLINE|IGNORE] TABLE name <op>` where sqlparser fails on an operation it does not know
/// (at the start of the operation list or after a comma at parenthesis depth 0).
fn alter_table_op(toks: &[Tok], err_tok: Option<usize>) -> Option<String> {
    let e = err_tok?;
    let t = (1..4).find(|&k| is_word(toks, k, "TABLE"))?;
    if !is_word(toks, 0, "ALTER") || e <= t + 1 {
        return None;
    }
    let mut depth = 0i32;
    let mut op_start = t + 2;
    for (k, tok) in toks.iter().enumerate().take(e).skip(t + 2) {
        match tok.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => op_start = k + 1,
            _ => {}
        }
    }
    if e <= op_start + 2 && is_seq(toks, op_start, &[ALTER_OPS]) {
        let op = word(&toks[op_start]).unwrap_or_default();
        return Some(format!("ALTER TABLE … {op}"));
    }
    None
}

/// MySQL operators sqlparser's MySQL dialect does not parse (`!x`, `CHAR(… USING cs)`).
fn special_tokens(toks: &[Tok]) -> Option<usize> {
    toks.iter().enumerate().position(|(i, t)| match &t.token {
        Token::ExclamationMark => true,
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("USING") => toks
            .get(i + 1)
            .is_some_and(|n| matches!(n.token, Token::Word(_))),
        _ => false,
    })
}

fn leading(toks: &[Tok]) -> Option<String> {
    let first = |n: usize| -> String {
        toks.iter()
            .take(n)
            .filter_map(word)
            .map(String::from)
            .collect::<Vec<_>>()
            .join(" ")
    };
    for seq in LEADING {
        if is_seq(toks, 0, seq) {
            return Some(first(seq.len().max(2)));
        }
    }
    if is_word(toks, 0, "CREATE") {
        let k = (1..toks.len().min(12)).find(|&k| is_seq(toks, k, &[CREATE_OBJECTS]))?;
        let object = word(&toks[k]).unwrap_or_default();
        return Some(format!("CREATE {object}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tokens::significant;

    fn u(sql: &str, at: Option<(usize, usize)>) -> Option<String> {
        unverifiable(&significant(sql).expect("tokens"), at)
    }

    #[test]
    fn recognises_stored_programs_and_options() {
        assert_eq!(
            u(
                "CREATE DEFINER=`root`@`%` PROCEDURE p() BEGIN END",
                Some((1, 1))
            )
            .as_deref(),
            Some("CREATE DEFINER")
        );
        assert_eq!(
            u("GRANT SELECT ON db.* TO 'u'@'%'", None).as_deref(),
            Some("GRANT SELECT")
        );
        assert!(u("SELECT * FROM t LOCK IN SHARE MODE", Some((1, 17))).is_some());
    }

    #[test]
    fn an_error_before_the_marker_is_still_an_error() {
        assert_eq!(u("SELECT * FORM t LOCK IN SHARE MODE", Some((1, 10))), None);
        assert_eq!(u("SELEC 1", Some((1, 1))), None);
    }
}
