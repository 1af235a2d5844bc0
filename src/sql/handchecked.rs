//! MySQL statements sqlparser refuses whose whole grammar is small enough to check here, token by
//! token: accepted as valid (not merely "cannot be verified") when they match exactly.
//!
//! - `COMMIT|ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE]` (MySQL refuses `AND CHAIN RELEASE`)
//! - `START TRANSACTION [mode [, mode] …]`, mode = `WITH CONSISTENT SNAPSHOT | READ ONLY |
//!   READ WRITE` (the executable comment `/*!40108 … */` mysqldump writes is read as its content)

use sqlparser::tokenizer::Token;

use super::tokens::{Tok, is_seq, is_word};

/// The statement's kind when its tokens match one of the grammars above exactly.
pub fn accepted(toks: &[Tok]) -> Option<&'static str> {
    if is_seq(toks, 0, &["COMMIT|ROLLBACK"]) {
        return transaction_end(toks).then_some("COMMIT/ROLLBACK");
    }
    if is_seq(toks, 0, &["START", "TRANSACTION"]) {
        return start_transaction(toks).then_some("START TRANSACTION");
    }
    None
}

fn transaction_end(toks: &[Tok]) -> bool {
    let mut i = 1;
    if is_word(toks, i, "WORK") {
        i += 1;
    }
    let mut chain = false;
    if is_word(toks, i, "AND") {
        i += 1;
        if is_word(toks, i, "NO") {
            i += 1;
        } else {
            chain = true;
        }
        if !is_word(toks, i, "CHAIN") {
            return false;
        }
        i += 1;
    }
    if is_seq(toks, i, &["NO", "RELEASE"]) {
        i += 2;
    } else if is_word(toks, i, "RELEASE") {
        if chain {
            return false;
        }
        i += 1;
    }
    i == toks.len()
}

fn start_transaction(toks: &[Tok]) -> bool {
    let mut i = 2;
    if i == toks.len() {
        return true;
    }
    loop {
        if is_seq(toks, i, &["WITH", "CONSISTENT", "SNAPSHOT"]) {
            i += 3;
        } else if is_seq(toks, i, &["READ", "ONLY|WRITE"]) {
            i += 2;
        } else {
            return false;
        }
        match toks.get(i).map(|t| &t.token) {
            None => return true,
            Some(Token::Comma) => i += 1,
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tokens::significant;

    fn ok(sql: &str) -> bool {
        accepted(&significant(sql).expect("tokens")).is_some()
    }

    #[test]
    fn transaction_statements() {
        for good in [
            "COMMIT NO RELEASE",
            "commit work and no chain no release",
            "ROLLBACK AND CHAIN",
            "ROLLBACK WORK RELEASE",
            "COMMIT AND NO CHAIN RELEASE",
            "START TRANSACTION /*!40108 WITH CONSISTENT SNAPSHOT */",
            "START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT",
        ] {
            assert!(ok(good), "{good}");
        }
        for bad in [
            "COMMIT AND CHAIN RELEASE",
            "COMMIT NO",
            "COMMIT RELEASE NO",
            "ROLLBACK AND",
            "START TRANSACTION READ",
            "START TRANSACTION READ ONLY,",
            "START TRANSACTION WITH SNAPSHOT",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }
}
