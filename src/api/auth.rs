//! API tokens: random, shown once, stored only as a SHA-256 hash.

use sha2::{Digest, Sha256};

/// Prefix that makes opsdeck tokens recognisable in secret scanners and logs.
pub const TOKEN_PREFIX: &str = "odk_";

/// A new random token (32 bytes from the OS, hex) and its hash for the store.
pub fn new_token() -> Result<(String, String), String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("cannot read random bytes from the OS: {e}"))?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    Ok((token, hash))
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, ha) = new_token().unwrap();
        let (b, _) = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), ha);
        assert_ne!(ha, a, "the hash is not the token");
    }
}
