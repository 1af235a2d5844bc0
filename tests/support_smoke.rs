//! Smoke test of the test harness: real sshd hosts reached with the OpenSSH client, and MariaDB.

mod support;

use std::process::{Command, Stdio};

use support::{Mariadb, Sshd, require_system};

#[test]
fn sshd_hosts_accept_the_client_key_with_strict_host_checking() {
    if !require_system(support::sshd::SSHD) || !require_system("ssh") {
        return;
    }
    let sshd = Sshd::start(3);
    assert_eq!(sshd.hosts.len(), 3);
    for host in &sshd.hosts {
        let out = Command::new("ssh")
            .arg("-i")
            .arg(&sshd.client_key)
            .arg("-o")
            .arg(format!("UserKnownHostsFile={}", sshd.known_hosts.display()))
            .args([
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "GlobalKnownHostsFile=/dev/null",
                "-p",
            ])
            .arg(host.port.to_string())
            .arg(format!("{}@{}", sshd.user, host.address))
            .arg("echo ok")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ssh to {host:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            sshd.logs()
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    }

    // The bad known_hosts makes the OpenSSH client refuse the same host.
    let host = &sshd.hosts[0];
    let out = Command::new("ssh")
        .arg("-i")
        .arg(&sshd.client_key)
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            sshd.bad_known_hosts.display()
        ))
        .args(["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes"])
        .args(["-o", "GlobalKnownHostsFile=/dev/null", "-p"])
        .arg(host.port.to_string())
        .arg(format!("{}@{}", sshd.user, host.address))
        .arg("echo ok")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn more_than_sixteen_hosts_use_several_sshd_processes() {
    if !require_system(support::sshd::SSHD) {
        return;
    }
    let sshd = Sshd::start(18);
    for host in &sshd.hosts {
        let addr = format!("{}:{}", host.address, host.port);
        std::net::TcpStream::connect(&addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    }
}

#[test]
fn mariadb_answers_select_1_over_socket_and_tcp_with_password() {
    if !require_system(support::mariadb::MARIADBD)
        || !require_system(support::mariadb::INSTALL_DB)
        || !require_system(support::mariadb::CLIENT)
    {
        return;
    }
    let db = Mariadb::start();
    assert_eq!(db.sql("SELECT 1").unwrap().trim(), "1");
    assert_eq!(db.sql_tcp("SELECT 1").unwrap().trim(), "1");
}
