#!/usr/bin/env bash
# Runs the whole test suite with the system services the integration tests need (sshd, mariadbd,
# postgres…), installing any missing ones first. Extra arguments go to `cargo test`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

# binary → Debian package providing it
declare -A NEEDED=(
    [/usr/sbin/sshd]=openssh-server
    [ssh]=openssh-client
    [ssh-keygen]=openssh-client
    [/usr/sbin/mariadbd]=mariadb-server
    [mariadb-install-db]=mariadb-server
    [mariadb]=mariadb-client
    [tmux]=tmux
    [pdsh]=pdsh
    [parallel-ssh]=pssh
    [pt-query-digest]=percona-toolkit
)

missing=()
for bin in "${!NEEDED[@]}"; do
    if ! command -v "$bin" >/dev/null 2>&1; then
        pkg="${NEEDED[$bin]}"
        case " ${missing[*]-} " in
            *" $pkg "*) ;;
            *) missing+=("$pkg") ;;
        esac
    fi
done

# PostgreSQL's server binaries are not on PATH on Debian: look for them where the package puts them.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    missing+=(postgresql)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing missing system packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The API contract test makes a virtualenv for schemathesis: Debian's python3 needs python3-venv.
if ! /usr/bin/python3 -c 'import ensurepip' >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends python3-venv python3-pip
fi

$SUDO mkdir -p /run/sshd

export OPSDECK_REQUIRE_SYSTEM_TESTS=1
# A CI build is thrown away: incremental caches would only double the disk it needs.
if [ -n "${CI:-}" ]; then
    export CARGO_INCREMENTAL=0
fi
# The suite's build (about 40 test binaries, the fuzz build) needs several GB: say so up front
# rather than fail in the linker with "No space left on device".
free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ -n "$free_kb" ] && [ "$free_kb" -lt $((12 * 1024 * 1024)) ]; then
    echo "warning: only $((free_kb / 1024)) MB free on $(pwd): the test build needs about 12 GB" >&2
fi
cargo test --all-targets "$@"
# Times are shown in the machine's zone: run the library tests again far from UTC, so a test that
# depends on the zone fails here too.
TZ=Asia/Shanghai cargo test --lib
# The API contract: schemathesis against the real server's openapi.json (about 1,000 cases).
bash scripts/api-contract.sh 25
# Every fuzz target for a short round from its seed corpus: a crash, hang or panic fails the run.
FUZZ_BUILD=dev bash scripts/fuzz.sh "${OPSDECK_FUZZ_SECONDS:-20}"
