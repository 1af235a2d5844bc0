#!/usr/bin/env bash
# Fan-out benchmark: opsdeck vs pdsh vs parallel-ssh on N loopback hosts (127.0.0.1..127.0.0.N).
#
#   scripts/bench-fanout.sh            # 100 hosts, 1 run of each case
#   HOSTS=100 RUNS=2 scripts/bench-fanout.sh
#
# Starts its own sshd processes (≤16 ListenAddress each) on a free port with temporary keys,
# runs as root (sshd must be able to log in as root; PermitRootLogin prohibit-password), prints a
# table of wall time, client CPU and sshd CPU (children of the listeners, from /proc/PID/stat
# cutime+cstime) per case, and kills every sshd it started by PID on exit.
# Only loopback addresses (127.0.0.0/8) are used.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
N=${HOSTS:-100}
RUNS=${RUNS:-1}
CASES=${CASES:-"true uname five"}
TOOLS=${TOOLS:-"opsdeck pdsh pssh"}
# The login the tools use. root's ~/.bashrc on this machine runs `pyenv init` (about 0.1 CPU-s and a
# global lock per SSH command, whatever the client); BENCH_USER=opsbench creates (if missing) a user
# whose login shell is /bin/sh with no rc files, which measures the tools instead of root's dotfiles.
LOGIN=${BENCH_USER:-root}
if [ "$LOGIN" != root ] && ! id "$LOGIN" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/sh "$LOGIN"
fi
# A new account is locked ('!'), which sshd refuses even for keys without PAM; '*' unlocks it with no password.
[ "$LOGIN" = root ] || usermod -p '*' "$LOGIN"
if [ "$N" -lt 1 ] || [ "$N" -gt 250 ]; then echo "HOSTS must be 1..250" >&2; exit 2; fi
[ "$(id -u)" -eq 0 ] || { echo "run as root (sshd logs in as root)" >&2; exit 2; }
for b in /usr/sbin/sshd ssh-keygen pdsh parallel-ssh /usr/bin/time; do
    command -v "$b" >/dev/null || { echo "missing $b" >&2; exit 2; }
done

cargo build --release --bin opsdeck >&2
OPSDECK=$ROOT/target/release/opsdeck

W=$(mktemp -d /tmp/opsdeck-bench-fanout.XXXXXX)
PIDS=()
kids() { ps -o pid= --ppid "$1" 2>/dev/null || true; }
cleanup() {
    for p in "${PIDS[@]}"; do
        # per-connection sshd children first (they run in their own sessions), then the listener
        for c in $(kids "$p"); do kill -KILL "$c" 2>/dev/null || true; done
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$W/host_key"
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$W/id_ed25519"
cp "$W/id_ed25519.pub" "$W/authorized_keys"
# sshd reads the authorized keys as the login user.
chmod 755 "$W"; chmod 644 "$W/authorized_keys"
KEY=$W/id_ed25519
KH=$W/known_hosts

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=${PORT:-$(free_port)}

ADDRS=()
for i in $(seq 1 "$N"); do ADDRS+=("127.0.0.$i"); done

i=0
while [ $((i * 16)) -lt "$N" ]; do
    cfg=$W/sshd_config.$i
    : > "$cfg"
    for a in "${ADDRS[@]:$((i * 16)):16}"; do echo "ListenAddress $a:$PORT" >> "$cfg"; done
    cat >> "$cfg" <<CFG
HostKey $W/host_key
AuthorizedKeysFile $W/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
PidFile none
MaxStartups 200:30:400
MaxSessions 100
LogLevel ERROR
CFG
    /usr/sbin/sshd -D -e -f "$cfg" 2>"$W/sshd.$i.log" </dev/null &
    PIDS+=($!)
    i=$((i + 1))
done

# Wait until every address accepts TCP.
for a in "${ADDRS[@]}"; do
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/$a/$PORT") 2>/dev/null; then break; fi
        sleep 0.1
    done
done

HOSTPUB=$(cut -d' ' -f1,2 "$W/host_key.pub")
: > "$KH"; : > "$W/pssh_hosts"
for a in "${ADDRS[@]}"; do
    echo "[$a]:$PORT $HOSTPUB" >> "$KH"
    echo "$LOGIN@$a:$PORT" >> "$W/pssh_hosts"
done

# opsdeck data dir, config, inventory, templates
D=$W/opsdeck
mkdir -p "$D/data"
cat > "$D/config.toml" <<CFG
user = "root"
known_hosts = "$KH"
concurrency = $N
global_concurrency = $((2 * N))
connect_timeout = "60s"
allow_self_approval = true
CFG
{
    printf '[[exec_users]]\nalias = "root"\nuser = "%s"\nkey = "%s"\n\n' "$LOGIN" "$KEY"
    for j in $(seq 1 "$N"); do
        printf '[[hosts]]\nname = "h%d"\naddress = "127.0.0.%d"\nport = %d\nexec_user = "root"\n\n' "$j" "$j" "$PORT"
    done
    printf '[[tags]]\nname = "bench"\nhosts = ['
    for j in $(seq 1 "$N"); do printf '"h%d",' "$j"; done
    printf ']\n'
} > "$D/inventory.toml"
cat > "$D/t_true.toml" <<'T'
id = 9001
name = "bench true"
[[steps]]
group = 1
level = 1
name = "true"
command = "true"
T
cat > "$D/t_uname.toml" <<'T'
id = 9002
name = "bench uname"
[[steps]]
group = 1
level = 1
name = "uname"
command = "uname -a"
T
{
    printf 'id = 9003\nname = "bench five"\n'
    l=1
    for c in "true" "uname -a" "hostname" "id" "date"; do
        printf '[[steps]]\ngroup = 1\nlevel = %d\nname = "s%d"\ncommand = "%s"\n' "$l" "$l" "$c"
        l=$((l + 1))
    done
} > "$D/t_five.toml"
od() { "$OPSDECK" --config "$D/config.toml" --data-dir "$D/data" "$@"; }
od inventory import "$D/inventory.toml" >/dev/null
od template import "$D/t_true.toml" "$D/t_uname.toml" "$D/t_five.toml" >/dev/null

SSHOPTS="-p $PORT -i $KEY -o UserKnownHostsFile=$KH -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes"
export PDSH_SSH_ARGS="$SSHOPTS -l%u %h"
PDSH_HOSTS="127.0.0.[1-$N]"

# sum of utime+stime of reaped children of the sshd listeners, in clock ticks
HZ=$(getconf CLK_TCK)
sshd_ticks() {
    local t=0 p f
    for p in "${PIDS[@]}"; do
        f=$(sed 's/.*) //' "/proc/$p/stat")
        t=$((t + $(echo "$f" | awk '{print $14 + $15}')))
    done
    echo "$t"
}
# wait until no per-connection sshd is left (so its CPU time is reaped into the listener's cutime)
settle() {
    for _ in $(seq 1 200); do
        local n=0 p
        for p in "${PIDS[@]}"; do n=$((n + $(kids "$p" | wc -l))); done
        [ "$n" -eq 0 ] && return 0
        sleep 0.05
    done
}

cmd_of() {
    case $1 in
        true) echo "true" ;;
        uname) echo "uname -a" ;;
    esac
}

run_case() { # tool case -> prints "wall user sys ok" from /usr/bin/time
    local tool=$1 c=$2 out=$W/out.$tool.$c rc=0
    case $tool in
        opsdeck)
            local tpl
            case $c in true) tpl=9001 ;; uname) tpl=9002 ;; five) tpl=9003 ;; esac
            /usr/bin/time -f '%e %U %S' -o "$W/time" "$OPSDECK" --config "$D/config.toml" --data-dir "$D/data" \
                task submit --template "$tpl" --tag bench --wait >"$out" 2>&1 || rc=$?
            ok=$(grep -c "stdout\|exited 0" "$out" || true)
            ;;
        pdsh)
            if [ "$c" = five ]; then
                /usr/bin/time -f '%e %U %S' -o "$W/time" bash -c '
                    for cmd in "true" "uname -a" "hostname" "id" "date"; do
                        pdsh -R ssh -f '"$N"' -l '"$LOGIN"' -w "'"$PDSH_HOSTS"'" "$cmd" || exit $?
                    done' >"$out" 2>&1 || rc=$?
            else
                /usr/bin/time -f '%e %U %S' -o "$W/time" pdsh -R ssh -f "$N" -l "$LOGIN" -w "$PDSH_HOSTS" "$(cmd_of "$c")" >"$out" 2>&1 || rc=$?
            fi
            ;;
        pssh)
            local popts=(-p "$N" -t 0 -h "$W/pssh_hosts" -x "-i $KEY -o UserKnownHostsFile=$KH -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes" -O StrictHostKeyChecking=yes -O BatchMode=yes)
            if [ "$c" = five ]; then
                /usr/bin/time -f '%e %U %S' -o "$W/time" bash -c '
                    for cmd in "true" "uname -a" "hostname" "id" "date"; do
                        parallel-ssh "$@" "$cmd" >/dev/null || exit $?
                    done' _ "${popts[@]}" >"$out" 2>&1 || rc=$?
            else
                /usr/bin/time -f '%e %U %S' -o "$W/time" parallel-ssh "${popts[@]}" "$(cmd_of "$c")" >"$out" 2>&1 || rc=$?
            fi
            ;;
    esac
    echo "$(cat "$W/time") $rc"
}

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); $N hosts on port $PORT; $(ssh -V 2>&1)"
printf '%-6s %-8s %3s %8s %9s %9s %9s %4s %s\n' case tool run wall_s client_u client_s sshd_cpu rc load1
for c in $CASES; do
    for r in $(seq 1 "$RUNS"); do
        for tool in $TOOLS; do
            settle
            before=$(sshd_ticks)
            res=$(run_case "$tool" "$c")
            settle
            after=$(sshd_ticks)
            read -r wall u s rc <<<"$res"
            cpu=$(awk -v a="$after" -v b="$before" -v hz="$HZ" 'BEGIN{printf "%.2f", (a-b)/hz}')
            printf '%-6s %-8s %3s %8s %9s %9s %9s %4s %s\n' "$c" "$tool" "$r" "$wall" "$u" "$s" "$cpu" "$rc" "$(cut -d' ' -f1 /proc/loadavg)"
            if [ "$rc" != 0 ]; then tail -5 "$W/out.$tool.$c" >&2; fi
        done
    done
done
