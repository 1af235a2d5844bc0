//! Loading inventories from files: opsdeck's native TOML format and Ansible INI inventories,
//! with every problem reported as `file:line: message`.

pub mod ansible;
pub mod cmdb;
pub mod native;

use std::fmt;
use std::path::Path;

use crate::model::Inventory;

/// The inventory file formats opsdeck reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// opsdeck's own TOML inventory.
    Toml,
    /// An Ansible INI inventory (groups become tags).
    Ansible,
}

/// The names [`Format::parse`] accepts, quoted in its error.
pub const FORMAT_NAMES: &str = "toml, ansible, ini";

impl Format {
    /// Reads a format name given on the command line: `toml`, `ansible` or `ini`.
    pub fn parse(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "toml" => Ok(Format::Toml),
            "ansible" | "ini" => Ok(Format::Ansible),
            _ => Err(format!(
                "unknown inventory format `{s}`; accepted: {FORMAT_NAMES}"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Toml => "toml",
            Format::Ansible => "ansible",
        }
    }

    /// Picks the format from the file name, and from the content when the name does not tell:
    /// `.toml` is TOML; anything else (`.ini`, `.cfg`, `hosts`, no extension) is sniffed.
    pub fn detect(path: &Path, content: &str) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("toml") => Format::Toml,
            _ => Format::sniff(content),
        }
    }

    /// Guesses the format from the content: `[[hosts]]`-style headers and `key = "quoted"` values
    /// mean TOML; `[group:children]`, `host key=value` lines and bare host names mean Ansible.
    pub fn sniff(content: &str) -> Format {
        let (mut toml, mut ansible) = (0usize, 0usize);
        for line in content.lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
                continue;
            }
            if t.starts_with("[[") {
                return Format::Toml;
            }
            if let Some(inner) = t.strip_prefix('[').and_then(|s| s.split(']').next()) {
                if inner.ends_with(":children") || inner.ends_with(":vars") {
                    return Format::Ansible;
                }
                continue;
            }
            match t.split_once('=') {
                None => ansible += 1,
                Some((key, value)) => {
                    let key = key.trim();
                    let value = value.trim();
                    if key.contains(char::is_whitespace) && !key.starts_with('"') {
                        // `web01 ansible_host=10.0.0.1`
                        ansible += 1;
                    } else if value.starts_with(['"', '\'', '[', '{'])
                        || value == "true"
                        || value == "false"
                        || value.parse::<f64>().is_ok()
                    {
                        toml += 1;
                    } else {
                        // `ansible_user=deploy`: a bare string is not valid TOML.
                        ansible += 1;
                    }
                }
            }
        }
        if ansible > toml {
            Format::Ansible
        } else {
            Format::Toml
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::parse(s)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many problems of one file are placed on their lines and listed.
pub const MAX_PROBLEMS: usize = 200;

/// Everything wrong with one input file, each problem with its 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub problems: Vec<(Option<usize>, String)>,
}

impl LoadError {
    /// A single problem.
    pub fn one(file: &str, line: Option<usize>, message: impl Into<String>) -> LoadError {
        LoadError {
            file: file.to_string(),
            problems: vec![(line, message.into())],
        }
    }

    /// Validation errors mapped to lines by `line_of`, ordered by line (unknown lines last).
    pub fn from_invalid(
        file: &str,
        invalid: &crate::model::Invalid,
        line_of: impl Fn(&str) -> Option<usize>,
    ) -> LoadError {
        // Finding a field's line scans the source: only the first problems are placed and listed,
        // so a hostile file with 100,000 bad entries cannot take quadratic time.
        let mut problems: Vec<(Option<usize>, String)> = invalid
            .0
            .iter()
            .take(MAX_PROBLEMS)
            .map(|e| (line_of(&e.field), format!("{}: {}", e.field, e.message)))
            .collect();
        problems.sort_by_key(|(l, _)| l.unwrap_or(usize::MAX));
        if invalid.0.len() > MAX_PROBLEMS {
            problems.push((
                None,
                format!(
                    "… and {} more problems (only the first {MAX_PROBLEMS} are listed)",
                    invalid.0.len() - MAX_PROBLEMS
                ),
            ));
        }
        LoadError {
            file: file.to_string(),
            problems,
        }
    }

    /// A TOML syntax or shape error (unknown field, wrong type), at the line toml reports.
    pub fn from_toml(file: &str, src: &str, err: &toml::de::Error) -> LoadError {
        let (pos, msg) = crate::tomlpos::toml_error_position(src, err);
        LoadError::one(file, pos.map(|p| p.0), msg)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (line, msg)) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match line {
                Some(l) => write!(f, "{}:{l}: {msg}", self.file)?,
                None => write!(f, "{}: {msg}", self.file)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Reads a file for a loader, turning I/O errors into a [`LoadError`].
pub(crate) fn read_source(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|e| {
        LoadError::one(
            &path.display().to_string(),
            None,
            format!("cannot read the file: {e}"),
        )
    })
}

/// Parses an inventory in the given format and validates it; `file_name` only labels errors.
pub fn load_str(src: &str, file_name: &str, format: Format) -> Result<Inventory, LoadError> {
    match format {
        Format::Toml => native::load_toml_str(src, file_name),
        Format::Ansible => ansible::load_ansible_str(src, file_name),
    }
}

/// Reads and validates an inventory file; the format is detected when not given.
pub fn load_file(path: impl AsRef<Path>, format: Option<Format>) -> Result<Inventory, LoadError> {
    let path = path.as_ref();
    let src = read_source(path)?;
    let format = format.unwrap_or_else(|| Format::detect(path, &src));
    load_str(&src, &path.display().to_string(), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names() {
        assert_eq!(Format::parse("toml").unwrap(), Format::Toml);
        assert_eq!(Format::parse("INI").unwrap(), Format::Ansible);
        assert_eq!("ansible".parse::<Format>().unwrap(), Format::Ansible);
        let e = Format::parse("yaml").unwrap_err();
        assert!(
            e.contains("`yaml`") && e.contains("toml, ansible, ini"),
            "{e}"
        );
    }

    #[test]
    fn detection_by_extension_then_content() {
        let ini = "web01 ansible_host=10.0.0.1\n[db]\ndb01\n";
        let toml = "[[hosts]]\nname = \"a\"\naddress = \"b\"\n";
        assert_eq!(Format::detect(Path::new("x.toml"), ini), Format::Toml);
        assert_eq!(Format::detect(Path::new("x.ini"), ini), Format::Ansible);
        assert_eq!(Format::detect(Path::new("hosts"), ini), Format::Ansible);
        assert_eq!(Format::detect(Path::new("inv.cfg"), toml), Format::Toml);
        assert_eq!(Format::detect(Path::new("inventory"), toml), Format::Toml);
        assert_eq!(
            Format::sniff("[all:vars]\nansible_user=deploy\n"),
            Format::Ansible
        );
        assert_eq!(
            Format::sniff("[web]\nweb01\nweb02\n[db]\ndb01 ansible_port=2222\n"),
            Format::Ansible
        );
        assert_eq!(Format::sniff("[web]\nname = \"x\"\n"), Format::Toml);
        assert_eq!(Format::sniff(""), Format::Toml);
    }

    #[test]
    fn load_error_display() {
        let e = LoadError {
            file: "inv.toml".into(),
            problems: vec![(Some(3), "bad".into()), (None, "worse".into())],
        };
        assert_eq!(e.to_string(), "inv.toml:3: bad\ninv.toml: worse");
    }

    #[test]
    fn load_file_detects_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("hosts");
        std::fs::write(&p, "[web]\nweb01 ansible_host=10.0.0.1\n").unwrap();
        let inv = load_file(&p, None).unwrap();
        assert_eq!(inv.hosts[0].address, "10.0.0.1");
        let e = load_file(dir.path().join("missing.toml"), None).unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert!(e.to_string().contains("missing.toml: cannot read"), "{e}");
    }
}
