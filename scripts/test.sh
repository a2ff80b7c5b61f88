#!/usr/bin/env bash
# One command: install what the tests need and run the whole suite on SQLite and on PostgreSQL.
# Nothing is skipped for lack of a service: a missing one is started or installed, or this fails loudly.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bootstrap_venv test
PY=.venv/bin/python

# --- system packages: Pango and CJK fonts for PDFs, Chromium for browser tests ---------------
ensure_runtime_packages
[ -x /usr/bin/chromium ] || apt_install chromium
command -v pdfsig >/dev/null 2>&1 || apt_install poppler-utils  # an independent check of licence signatures
[ -x /usr/bin/chromium ] || die "没有找到 /usr/bin/chromium，浏览器测试无法运行。"

# --- PostgreSQL ---------------------------------------------------------------------------------
PG_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/zhengwu}"
pg_ok() { "$PY" - "$PG_URL" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg, dj_database_url
cfg = dj_database_url.parse(sys.argv[1])
psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                password=cfg["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
PYEOF
}
if ! pg_ok; then
  if [ -z "${DATABASE_URL:-}" ]; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then apt_install postgresql; fi
    say "启动 PostgreSQL"
    for v in $(ls /etc/postgresql 2>/dev/null); do
      as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start 2>/dev/null || true
    done
    sleep 2
    if ! pg_ok; then
      # A freshly installed cluster asks for a password on TCP: give the postgres role one for the tests.
      as_root su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'zhengwu-test'\"" >/dev/null 2>&1 || true
      PG_URL="postgres://postgres:zhengwu-test@127.0.0.1:5432/zhengwu"
    fi
  fi
  pg_ok || die "PostgreSQL 无法连接（$PG_URL）。请设置 DATABASE_URL 指向可用的 PostgreSQL 服务器。"
fi

# --- Redis (the broker test sends a task through it to a real worker) ---------------------------
export ZHENGWU_TEST_REDIS_URL="${ZHENGWU_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
redis_ok() { "$PY" -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=3).ping()" \
  "$ZHENGWU_TEST_REDIS_URL" >/dev/null 2>&1; }
if ! redis_ok; then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  say "启动 Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  sleep 1
  redis_ok || die "Redis 无法连接（$ZHENGWU_TEST_REDIS_URL）。"
fi

# --- lint ---------------------------------------------------------------------------------------
say "ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
DEBUG=1 .venv/bin/zhengwu makemigrations --check --dry-run >/dev/null ||
  die "模型变更缺少迁移文件：运行 zhengwu makemigrations。"

# --- the suite, on both databases at once (one core each) ---------------------------------------
mkdir -p var/test
run_suite() {  # $1 = label, rest = env assignments
  local label="$1"; shift
  rm -rf "var/test/tmp-$label"
  env "$@" .venv/bin/pytest --timeout=600 -q -o console_output_style=classic --basetemp="var/test/tmp-$label" \
    --junitxml="var/test/$label.xml" >"var/test/$label.log" 2>&1
}
say "pytest：SQLite 与 PostgreSQL 并行运行"
run_suite sqlite DATABASE_URL= & sqlite_pid=$!
run_suite postgresql DATABASE_URL="$PG_URL" & pg_pid=$!
status=0
wait "$sqlite_pid" || status=1
wait "$pg_pid" || status=1

passed=0; failed=0
for label in sqlite postgresql; do
  say "结果（$label）"
  cat "var/test/$label.log"
  summary=$(grep -E '(passed|failed|error).* in [0-9.]+s' "var/test/$label.log" | tail -1 || true)
  p=$(awk '{for (i = 2; i <= NF; i++) if ($i ~ /^passed/) s += $(i-1)} END {print s+0}' <<<"$summary")
  f=$(awk '{for (i = 2; i <= NF; i++) if ($i ~ /^(failed|errors?)/) s += $(i-1)} END {print s+0}' <<<"$summary")
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$p" = 0 ]; then echo "未运行任何测试（$label）" >&2; status=1; fi
done
echo
echo "suite: $passed passed, $failed failed"
exit "$status"
