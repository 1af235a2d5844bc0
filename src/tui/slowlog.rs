//! Reads a slow query log for the SQL optimize tab (off the UI thread): the digest by fingerprint,
//! and each listed class's example scored with index advice, so Enter shows them at once.

use std::path::Path;

use crate::model::Lang;
use crate::sql::digest::{DigestReport, read, review};

/// Classes kept for browsing (the most total query time first); the rest count in the header.
pub const MAX_CLASSES: usize = 500;

/// The digest of the slow log at `path`, or why it cannot be read.
pub fn load(path: &Path, lang: Lang) -> Result<DigestReport, String> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(format!(
            "{shown}: is a directory; give a slow query log file"
        ));
    }
    let mut report = read(std::io::BufReader::new(file), Some(MAX_CLASSES))
        .map_err(|e| format!("{shown}: {e}"))?;
    for c in &mut report.classes {
        c.review = Some(review(&c.example, lang));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_a_log_and_reviews_each_class() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("slow.log");
        let mut log = String::new();
        for (i, t) in [(1, "0.5"), (2, "1.5"), (3, "0.25")] {
            log.push_str(&format!(
                "# Time: 2026-11-30T10:00:0{i}.000000Z\n# User@Host: app[app] @ localhost []\n\
                 # Query_time: {t}  Lock_time: 0.000010 Rows_sent: 1  Rows_examined: 1000\n\
                 SET timestamp=178600000{i};\nSELECT * FROM orders WHERE customer = {i};\n"
            ));
        }
        log.push_str(
            "# Time: 2026-11-30T10:00:09.000000Z\n# User@Host: app[app] @ localhost []\n\
                      # Query_time: 3.0  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 5\n\
                      SET timestamp=1786000009;\nDELETE FROM carts;\n",
        );
        std::fs::write(&p, log).unwrap();
        let r = load(&p, Lang::En).unwrap();
        assert_eq!(r.events, 4);
        assert_eq!(r.classes.len(), 2);
        assert_eq!(r.classes[0].count, 1, "3.0 s of DELETE first");
        assert_eq!(r.classes[1].count, 3);
        assert_eq!(
            r.classes[1].fingerprint,
            "select * from orders where customer = ?"
        );
        let review = r.classes[1].review.as_ref().unwrap();
        assert!(review.score < 100, "SELECT * is scored down: {review:?}");
        assert!(
            load(dir.path(), Lang::En)
                .unwrap_err()
                .contains("directory"),
            "a directory is refused"
        );
        assert!(load(&dir.path().join("none"), Lang::En).is_err());
    }
}
