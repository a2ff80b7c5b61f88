#!/usr/bin/env bash
# One command: set up and run Zhengwu on its embedded default (SQLite, demo county, web + worker).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_runtime_packages
bootstrap_venv

export ZHENGWU_DATA_DIR="${ZHENGWU_DATA_DIR:-$ROOT/var}"
mkdir -p "$ZHENGWU_DATA_DIR"
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s "$ZHENGWU_DATA_DIR/secret_key" ] ||
    .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$ZHENGWU_DATA_DIR/secret_key"
  chmod 600 "$ZHENGWU_DATA_DIR/secret_key"
  SECRET_KEY="$(cat "$ZHENGWU_DATA_DIR/secret_key")"
  export SECRET_KEY
fi
if [ -z "${ZHENGWU_SIGNING_PASSPHRASE:-}" ]; then
  [ -s "$ZHENGWU_DATA_DIR/signing_passphrase" ] ||
    .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$ZHENGWU_DATA_DIR/signing_passphrase"
  chmod 600 "$ZHENGWU_DATA_DIR/signing_passphrase"
  ZHENGWU_SIGNING_PASSPHRASE="$(cat "$ZHENGWU_DATA_DIR/signing_passphrase")"
  export ZHENGWU_SIGNING_PASSPHRASE
fi
# Local plain-HTTP demo: cookies cannot be Secure-only. Put TLS in front for real deployments.
export SECURE_COOKIES="${SECURE_COOKIES:-0}" SECURE_HSTS_SECONDS="${SECURE_HSTS_SECONDS:-0}"
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-localhost,127.0.0.1}"
BIND="${ZHENGWU_BIND:-127.0.0.1:8000}"
export ZHENGWU_PUBLIC_URL="${ZHENGWU_PUBLIC_URL:-http://$BIND}"
# The demo county's own site: its name in the header, SMS signature and licences, its government as owner.
export ZHENGWU_SITE_NAME="${ZHENGWU_SITE_NAME:-青川区政务服务平台}" ZHENGWU_SITE_OWNER="${ZHENGWU_SITE_OWNER:-青川区人民政府}"
# Local demo: online fee payment through the development provider (no money moves; ADR 0014).
export ZHENGWU_PAYMENT_BACKEND="${ZHENGWU_PAYMENT_BACKEND:-zhengwu.cases.payments.DevelopmentPaymentProvider}"

say "迁移数据库"
.venv/bin/zhengwu migrate --noinput -v0
say "加载演示区县数据（可重复执行）"
.venv/bin/zhengwu demo
.venv/bin/zhengwu collectstatic --noinput -v0

say "启动：http://${BIND}/   工作台：http://${BIND}/workbench/   管理：http://${BIND}/admin/   （Ctrl+C 停止）"
exec .venv/bin/zhengwu serve --bind "$BIND"
