#!/usr/bin/env bash
# Production: gunicorn with APP_WORKERS workers, and the scheduler as its own process.
#
#   APP_ENV=production APP_SECRET_KEY=… APP_DATABASE_URL=postgresql+psycopg://… scripts/serve.sh
#
# Run `flask --app service init-db` first (as the database owner). APP_BIND (127.0.0.1:8000),
# APP_WORKERS (4), APP_THREADS (4) shape gunicorn (gunicorn.conf.py); APP_SCHEDULER=0 starts
# web workers only, for the machines after the first (several schedulers may also run at once
# on PostgreSQL); APP_RENDER_WORKERS (1) render worker processes, 0 for none on this machine.
# When one process stops, the others are stopped too and the script exits:
# let a supervisor (systemd, Restart=always) start it again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/gunicorn ] || source scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH" APP_ENV="${APP_ENV:-production}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
if [ "${APP_SCHEDULER:-1}" = 1 ]; then
    flask --app service scheduler --interval "${SCHEDULER_INTERVAL:-60}" &
    pids+=($!)
fi
# The render worker: the DOCX and PDF of signed documents, outside the web workers.
if [ "${APP_RENDER_WORKERS:-1}" -gt 0 ]; then
    flask --app service render-worker --processes "${APP_RENDER_WORKERS:-1}" &
    pids+=($!)
fi
gunicorn -c gunicorn.conf.py &
pids+=($!)
wait -n
