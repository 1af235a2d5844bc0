//! One rendering path (issue 12): the command a dry run shows is, byte for byte, the command the
//! runner logs at step start for the same spec — secrets masked alike, including a secret holding
//! quotes, a secret default and a secret capture — with only the task id and the captured values
//! filled in.

use assert_cmd::Command;

const TEMPLATE: &str = r#"
id = 9710
name = "plan agreement"
[[args]]
name = "PASSWORD"
secret = true
required = true
[[args]]
name = "API_KEY"
secret = true
default = "def-s3cret"
[[args]]
name = "NOTE"
default = "it's \"quoted\" $HOME"
[[steps]]
group = 1
level = 1
name = "make"
command = "echo made-it"
capture = "TOKEN"
[[steps]]
group = 1
level = 2
name = "use"
command = "echo use ${TOKEN} ${PASSWORD} ${API_KEY} ${NOTE} on ${SERVER_HOST} ${SERVER_IP} task ${FLOW_ID}"
[[steps]]
group = 1
level = 3
name = "key"
command = "echo k3y-$((40 + 2))"
capture = "KEY"
capture_secret = true
[[steps]]
group = 1
level = 4
name = "login"
command = "echo login ${KEY} --password=${PASSWORD}"
"#;

const PASSWORD: &str = "pa'ss wo\"rd";

fn cmd(dir: &std::path::Path) -> Command {
    let mut c = Command::cargo_bin("opsdeck").unwrap();
    c.env("OPSDECK_CONFIG", dir.join("config.toml"))
        .env("OPSDECK_DATA_DIR", dir.join("data"))
        .env("USER", "tester");
    c
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The command line a shell word `value` becomes (what `render_command` writes for it).
fn quoted(value: &str) -> String {
    opsdeck::exec::render::quote(value)
}

#[test]
fn the_dry_run_shows_exactly_the_commands_the_runner_logs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tpl = d.join("t.toml");
    std::fs::write(&tpl, TEMPLATE).unwrap();
    cmd(d)
        .args(["template", "import"])
        .arg(&tpl)
        .assert()
        .success();
    let submit = |extra: &[&str]| {
        let mut c = cmd(d);
        c.args(["submit", "custom", "--tag", "demo", "--template", "9710"])
            .arg("--arg")
            .arg(format!("PASSWORD={PASSWORD}"))
            .args(extra);
        c
    };

    let plan = json(&submit(&["--dry-run", "--json"]).output().unwrap());
    let planned: Vec<(String, String)> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["command"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = planned.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["make", "use", "key", "login"]);

    let out = submit(&["--at", "now", "--wait"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tasks = json(&cmd(d).args(["task", "list", "--json"]).output().unwrap());
    assert_eq!(tasks.as_array().unwrap().len(), 1);
    assert_eq!(tasks[0]["state"], "succeeded", "{tasks}");
    let id = tasks[0]["id"].as_i64().unwrap();
    let logs = cmd(d)
        .args(["task", "logs", &id.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(logs.status.success());
    let logs = String::from_utf8(logs.stdout).unwrap();
    assert!(
        !logs.contains("k3y-42"),
        "the secret capture leaked: {logs}"
    );
    assert!(
        !logs.contains("def-s3cret"),
        "a secret default leaked: {logs}"
    );
    for form in ["pa'ss", "wo\\\"rd", "wo\"rd"] {
        assert!(
            !logs.contains(form),
            "the password leaked as {form}: {logs}"
        );
    }
    let started: Vec<(String, String)> = logs
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|v| {
            let text = v["text"].as_str()?;
            let rest = text.strip_prefix("[localhost] step '")?;
            let (name, cmd) = rest.split_once("' started: $ ")?;
            Some((name.to_string(), cmd.to_string()))
        })
        .collect();
    assert_eq!(started.len(), planned.len(), "{logs}");

    // What only the run knows: the task id and the non-secret capture's value.
    let known = |c: &str| {
        c.replace(&quoted("<id>"), &id.to_string())
            .replace(&quoted("<captured TOKEN>"), &quoted("made-it"))
    };
    for ((pn, pc), (rn, rc)) in planned.iter().zip(&started) {
        assert_eq!(pn, rn);
        assert_eq!(
            &known(pc),
            rc,
            "step {pn}: the dry run differs from what ran"
        );
    }
    let use_cmd = &started[1].1;
    assert_eq!(
        use_cmd,
        &format!(
            "echo use made-it ****** ****** {} on localhost 127.0.0.1 task {id}",
            quoted("it's \"quoted\" $HOME")
        )
    );
    assert_eq!(
        started[3].1, "echo login ****** --password=******",
        "the secret capture is masked in the dry run and the run alike"
    );
}
