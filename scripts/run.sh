#!/usr/bin/env bash
# Set up a fresh machine and start the service on SQLite with the demo data and diagrams.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { echo "[$((SECONDS))s] $*" >&2; }  # each phase and the time so far
step "system packages"
source scripts/system-packages.sh
step "Python packages and the diagram viewer"
source scripts/bootstrap.sh
export FLASK_APP=service
host="${HOST:-127.0.0.1}" port="${PORT:-5000}"
step "database, diagrams, demo agencies, users and campaigns (their documents: the render worker)"
flask load-demo --demo-otp  # migrates and deploys too: one process start, not three
# before the server: a signing finds its keys checked (409 signing_key_missing without them)
step "demo signing keys (made once, for the render worker to sign every PDF)"
flask pki demo
# The scheduler (timers, deadline states, reminders) and the render worker (the DOCX and PDF of
# each signed document, seconds after the signing) run beside the web server, each as its own
# process, and stop with it.
instance="${APP_INSTANCE_DIR:-instance}"
flask scheduler --interval "${SCHEDULER_INTERVAL:-60}" > "$instance/scheduler.log" 2>&1 &
scheduler=$!
flask render-worker > "$instance/render-worker.log" 2>&1 &
renderer=$!
flask run --host "$host" --port "$port" &
web=$!
trap 'kill "$scheduler" "$renderer" "$web" 2>/dev/null || true' EXIT
# Ctrl-C, or SIGTERM to this script alone (a service manager's stop), ends all three: with the
# web server in the foreground, bash would wait for it before running the EXIT trap
trap 'exit 130' INT
trap 'exit 143' TERM
# ready once the web server takes connections: loading the app takes it a few seconds
for _ in $(seq 1 240); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && break
    kill -0 "$web" 2>/dev/null || break  # it failed: its error is above
    sleep 0.25
done
kill -0 "$web" 2>/dev/null || exit 1
step "ready"
cat <<MSG

  Web:     http://$host:$port/          (log in as a demo user, e.g. thanhhoa.congan / demo-2023)
  API:     http://$host:$port/api/v1    (OpenAPI: http://$host:$port/api/v1/openapi.json)
  Log in:  curl -s -X POST http://$host:$port/api/v1/auth/token \\
             -H 'Content-Type: application/json' \\
             -d '{"username": "thanhhoa.congan", "password": "demo-2023"}'
  Demo users (password demo-2023) are listed in README.md.
  The scheduler runs alongside (log: ${APP_INSTANCE_DIR:-instance}/scheduler.log),
  and the render worker, which prepares signed documents (log: …/render-worker.log).

MSG
wait "$web"
