# Shared helpers for scripts/run.sh and scripts/test.sh (sourced, not executed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
die()  { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "需要 root 权限安装系统软件包（$*）：请以 root 运行或安装 sudo。"
  fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "缺少 $*，且本机没有 apt-get：请手动安装后重试。"
  if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  say "安装系统软件包：$*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# $PYTHON if set; else the operating system's own python3 (Debian's and Ubuntu's are built with PGO and LTO:
# the case lifecycle costs ~5 % less CPU than on a plain source build such as pyenv's default, ADR 0019);
# else the newest python3.x on PATH.
find_python() {
  for candidate in "${PYTHON:-}" /usr/bin/python3 python3.13 python3.12 python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

# Create .venv/ and install the project (and extras given as $1, e.g. "test").
bootstrap_venv() {
  local extras="${1:-}"
  local py
  py="$(find_python)" || die "需要 Python >= 3.11（Debian 12 / Ubuntu 22.04 及以上自带 python3）。"
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -m venv --help >/dev/null 2>&1 || ! "$py" -c 'import ensurepip' 2>/dev/null; then
      apt_install python3-venv
    fi
    say "创建虚拟环境 .venv（$("$py" --version)）"
    "$py" -m venv .venv
  fi
  local spec="."
  [ -n "$extras" ] && spec=".[${extras}]"
  say "安装 Python 依赖（constraints.txt 锁定版本）"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -c constraints.txt -e "$spec"
}

# Debian packages the platform itself needs: Pango for PDF rendering (weasyprint), CJK fonts.
ensure_runtime_packages() {
  local missing=() libs
  libs="$( (ldconfig -p || /sbin/ldconfig -p) 2>/dev/null || true)"
  grep -q 'libpango-1.0.so' <<<"$libs" || missing+=(libpango-1.0-0)
  grep -q 'libpangoft2-1.0.so' <<<"$libs" || missing+=(libpangoft2-1.0-0)
  fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}
