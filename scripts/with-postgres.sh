#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster.
#
#   scripts/with-postgres.sh CMD ARGS...
#
# Starts a private PostgreSQL server on 127.0.0.1 (random free port), creates
# the database app_test, exports
#   TEST_POSTGRESQL_URL  postgresql+psycopg://postgres@127.0.0.1:PORT/app_test
#   PG_CTL_DATA          data directory (for `pg_ctl -D "$PG_CTL_DATA" ...`)
#   PG_RUN_AS            prefix for server commands ("runuser -u postgres --" as root, else "")
#   PG_LOG               server log file (pass as `pg_ctl -l` when restarting)
#   PG_BINDIR, PG_PORT   where the server binaries are, and the port
# runs CMD, then always stops the server and deletes everything it created.
# Exits with CMD's exit code. A test can restart the server with:
#   $PG_RUN_AS pg_ctl -D "$PG_CTL_DATA" -l "$PG_LOG" -w restart
# The cluster lives in /dev/shm when that is a tmpfs with room (PG_TMPDIR=DIR: in DIR).
#
# If initdb cannot be found, CMD runs without a server (PostgreSQL tests skip).
set -euo pipefail

me="with-postgres"
log() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -gt 0 ]] || die "usage: $0 CMD [ARGS...]"

# --- locate the server binaries -------------------------------------------
initdb_bin="$(command -v initdb || true)"
if [[ -z "$initdb_bin" ]]; then
    # Debian/Ubuntu keep them off PATH; prefer 15 (what CI runs), else newest.
    for candidate in /usr/lib/postgresql/15/bin/initdb \
        $(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -rV); do
        if [[ -x "$candidate" ]]; then initdb_bin="$candidate"; break; fi
    done
fi
if [[ -z "$initdb_bin" ]]; then
    log "warning: initdb not found (PATH, /usr/lib/postgresql/*/bin);" \
        "running without TEST_POSTGRESQL_URL, PostgreSQL tests will be skipped"
    exec "$@"
fi
bindir="$(dirname "$initdb_bin")"
# Client tools may live only next to the real binary, not next to a symlink.
realbindir="$(dirname "$(readlink -f "$initdb_bin")")"

find_tool() {  # first executable $1 in: bindir, real bindir, PATH
    local dir
    for dir in "$bindir" "$realbindir"; do
        if [[ -x "$dir/$1" ]]; then printf '%s\n' "$dir/$1"; return 0; fi
    done
    command -v "$1" || return 1
}
pg_ctl_bin="$(find_tool pg_ctl)" || die "pg_ctl not found next to $initdb_bin or on PATH"

# --- who runs the server --------------------------------------------------
# initdb/postgres refuse to run as root, so drop to an unprivileged user.
run_as=()
tmp_parent="${TMPDIR:-/tmp}"
if [[ "$(id -u)" -eq 0 ]]; then
    pg_user="${PG_USER:-postgres}"
    id -u "$pg_user" >/dev/null 2>&1 ||
        die "running as root but user '$pg_user' does not exist (set PG_USER)"
    if command -v runuser >/dev/null 2>&1 && runuser -u "$pg_user" -- true 2>/dev/null; then
        run_as=(runuser -u "$pg_user" --)
    elif command -v setpriv >/dev/null 2>&1; then
        run_as=(setpriv "--reuid=$pg_user" "--regid=$(id -g "$pg_user")" --init-groups --)
    else
        die "running as root but neither runuser nor setpriv is available"
    fi
    # root's TMPDIR may be unreadable for that user; /tmp is always traversable.
    tmp_parent=/tmp
fi

# A throwaway cluster is best in memory: on this project's ext4 disks each CREATE DATABASE
# (one per PostgreSQL test) costs 0.3 s of CPU, on tmpfs 13 ms. /dev/shm when it is a
# writable tmpfs with 2 GB free (PG_TMPDIR chooses another place).
if [[ -n "${PG_TMPDIR:-}" ]]; then
    tmp_parent="$PG_TMPDIR"
elif [[ "$(stat -f -c %T /dev/shm 2>/dev/null)" == tmpfs && -w /dev/shm ]] &&
    (( $(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 2 * 1024 * 1024 )); then
    tmp_parent=/dev/shm  # world-writable and traversable, as /tmp is
fi

# --- temp dir and cleanup -------------------------------------------------
tmp="$(mktemp -d "$tmp_parent/with-postgres.XXXXXX")"
data="$tmp/data"
pg_log="$tmp/postgres.log"
started=0

cleanup() {
    local rc=$?
    set +e
    if [[ "$started" -eq 1 || -f "$data/postmaster.pid" ]]; then
        # Immediate stop: the data is thrown away, no need for a checkpoint.
        (cd "$tmp" && "${run_as[@]}" "$pg_ctl_bin" -D "$data" -m immediate -w -t 30 stop) \
            >/dev/null 2>&1
        if [[ -f "$data/postmaster.pid" ]]; then
            # pg_ctl failed (or timed out): make sure no server outlives us.
            pid="$(head -n 1 "$data/postmaster.pid" 2>/dev/null)"
            [[ "$pid" =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -rf -- "$tmp"
    exit "$rc"
}
trap cleanup EXIT
# Signals go through exit so the EXIT trap does the cleanup exactly once.
trap 'exit 130' INT
trap 'exit 143' TERM

touch "$pg_log"
if [[ ${#run_as[@]} -gt 0 ]]; then
    chown -R "$pg_user:$(id -g "$pg_user")" "$tmp"
fi

# Run a server-side binary as the server user, from a directory it can enter
# (cwd may be e.g. /root), with all output going to the log.
as_server() { (cd "$tmp" && "${run_as[@]}" "$@") >>"$pg_log" 2>&1; }

fail_start() {
    log "error: $*; last 50 lines of the server log:"
    tail -n 50 "$pg_log" >&2 || true
    exit 1
}

# --- initdb ---------------------------------------------------------------
# UTF8 + C.UTF-8 so Vietnamese text stores and case-folds correctly;
# fall back to the C locale (still UTF8) where C.UTF-8 does not exist.
if ! as_server "$initdb_bin" -D "$data" -A trust -U postgres --encoding=UTF8 \
    --locale=C.UTF-8 --no-sync; then
    rm -rf -- "$data"
    as_server "$initdb_bin" -D "$data" -A trust -U postgres --encoding=UTF8 \
        --no-locale --no-sync || fail_start "initdb failed"
fi

# Settings go in postgresql.conf rather than `pg_ctl -o` so that a test's
# `pg_ctl restart` keeps them. Single quotes in the path are doubled for the conf syntax.
sockdir_conf="${tmp//\'/\'\'}"
cat >>"$data/postgresql.conf" <<EOF

# --- with-postgres.sh: throwaway test cluster, speed over durability ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockdir_conf'
max_connections = 200
fsync = off
full_page_writes = off
synchronous_commit = off
EOF

# --- start ----------------------------------------------------------------
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    else
        echo $((20000 + RANDOM % 40000))
    fi
}

# The port is free when picked but could be taken before postgres binds it,
# so retry a few times on "address in use".
port=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    printf 'port = %s\n' "$port" >>"$data/postgresql.conf"  # last setting wins
    started=1
    if as_server "$pg_ctl_bin" -D "$data" -l "$pg_log" -w -t 30 start; then
        break
    fi
    if [[ "$attempt" -lt 5 ]] && tail -n 20 "$pg_log" | grep -qi 'could not bind\|address already in use'; then
        log "port $port was taken, retrying"
        continue
    fi
    fail_start "PostgreSQL failed to start (pg_ctl -w -t 30)"
done

# --- create the test database ---------------------------------------------
# Connect over TCP as the client (any user works: trust auth); -w never prompts.
conn=(-h 127.0.0.1 -p "$port" -U postgres -w)
if createdb_bin="$(find_tool createdb)"; then
    "$createdb_bin" "${conn[@]}" app_test </dev/null >>"$pg_log" 2>&1 ||
        fail_start "createdb app_test failed"
elif psql_bin="$(find_tool psql)"; then
    "$psql_bin" "${conn[@]}" -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c 'CREATE DATABASE app_test' </dev/null >>"$pg_log" 2>&1 ||
        fail_start "CREATE DATABASE app_test failed"
else
    fail_start "neither createdb nor psql found to create app_test"
fi

# --- run the command ------------------------------------------------------
# Make pg_ctl reachable by name for tests that restart the server.
case ":$PATH:" in *":$bindir:"*) ;; *) PATH="$PATH:$bindir" ;; esac
export PATH
export TEST_POSTGRESQL_URL="postgresql+psycopg://postgres@127.0.0.1:$port/app_test"
export PG_CTL_DATA="$data"
export PG_RUN_AS="${run_as[*]}"
export PG_LOG="$pg_log"
export PG_BINDIR="$bindir"
export PG_PORT="$port"
log "PostgreSQL $("$pg_ctl_bin" --version | awk '{print $3}') ready at 127.0.0.1:$port (data: $data)"

# Run in the foreground (not `&` + wait) so CMD keeps stdin and receives Ctrl-C
# itself; the server is in its own session (pg_ctl setsid), so Ctrl-C misses it.
rc=0
"$@" || rc=$?
exit "$rc"
