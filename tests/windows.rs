//! Maintenance windows through the real binary: a submit outside its tag's window is refused with
//! the next window named and stores nothing; a time inside is accepted.

use std::process::Command;

use chrono::{Datelike, Duration, Utc};

fn opsdeck(dir: &std::path::Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("opsdeck"));
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env_remove("OPSDECK_SERVER")
        .env("USER", "tester");
    c
}

#[test]
fn a_submit_outside_the_window_is_refused_with_the_next_one_named() {
    let dir = tempfile::tempdir().unwrap();
    // A one-hour window three days from now: closed now, whatever the day.
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let name = day.weekday().to_string();
    let window = format!("{name} 02:00-03:00 UTC");
    let inv = format!(
        "[[hosts]]\nname = \"localhost\"\naddress = \"127.0.0.1\"\nconnection = \"local\"\n\n\
         [[tags]]\nname = \"maint\"\nhosts = [\"localhost\"]\nwindows = [\"{window}\"]\n"
    );
    std::fs::write(dir.path().join("inv.toml"), inv).unwrap();
    let out = opsdeck(dir.path())
        .args(["inventory", "import"])
        .arg(dir.path().join("inv.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let submit = |at: &str| {
        opsdeck(dir.path())
            .args(["submit", "custom", "--tag", "maint", "--template", "9504"])
            .args(["--arg", "COMMAND=true", "--at", at])
            .output()
            .unwrap()
    };
    let out = submit("now");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("exec_time"), "{err}");
    assert!(
        err.contains("outside the maintenance windows of tag `maint`") && err.contains(&window),
        "{err}"
    );
    assert!(err.contains("the next window opens"), "{err}");
    let list = opsdeck(dir.path())
        .args(["task", "list", "--json"])
        .output()
        .unwrap();
    let tasks: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        tasks.as_array().map(Vec::len),
        Some(0),
        "nothing stored: {tasks}"
    );

    // Inside the window: accepted (and scheduled for then).
    let inside = format!("{day}T02:30:00Z");
    let out = submit(&inside);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = opsdeck(dir.path())
        .args(["engine", "stop", "--force"])
        .output();
}
