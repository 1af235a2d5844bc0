//! The inventory the SQL audit tests share: a proxy host behind the test sshd, tag `orders` whose
//! write database is the test MariaDB, operator alice and approver bob.

use std::path::Path;

use super::{Mariadb, Sshd};

/// The `orders` inventory; `tag_extra` is appended to the tag's table (`max_update_rows = 5`…),
/// one setting per line.
pub fn orders_inventory(
    sshd: &Sshd,
    db: &Mariadb,
    password_file: &Path,
    tag_extra: &str,
) -> String {
    format!(
        "[[exec_users]]\nalias = \"t\"\nuser = \"{}\"\nkey = \"{}\"\n\n\
         [[hosts]]\nname = \"proxy\"\naddress = \"{}\"\nport = {}\nexec_user = \"t\"\n\n\
         [[hosts]]\nname = \"app1\"\naddress = \"127.0.0.9\"\nexec_user = \"t\"\n\n\
         [[tags]]\nname = \"orders\"\nhosts = [\"app1\"]\nproxy = \"proxy\"\n{tag_extra}\
         [[tags.databases]]\nname = \"orders-rw\"\nhost = \"{}\"\nport = {}\nuser = \"{}\"\n\
         schema = \"shop\"\npassword_file = \"{}\"\nrole = \"write\"\n\n\
         [[users]]\nname = \"alice\"\nrole = \"operator\"\n\
         [[users]]\nname = \"bob\"\nrole = \"approver\"\n",
        sshd.user,
        sshd.client_key.display(),
        sshd.hosts[0].address,
        sshd.hosts[0].port,
        db.host,
        db.port,
        db.user,
        password_file.display(),
    )
}

/// The source of the built-in template whose file name starts with `prefix` (`"9001"`).
pub fn builtin(prefix: &str) -> &'static str {
    opsdeck::assets::BUILTIN_TEMPLATES
        .iter()
        .find(|(f, _)| f.starts_with(prefix))
        .map(|(_, src)| *src)
        .unwrap()
}
