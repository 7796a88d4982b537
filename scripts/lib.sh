# Shared set-up steps for scripts/up and scripts/test. Sourced, not run.
# Everything here is idempotent: on a machine that already has it all, it only checks.

DOCKFORM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$DOCKFORM_ROOT/.venv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  busybox_static_installed || missing+=(busybox-static)
  command -v git >/dev/null 2>&1 || missing+=(git)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  # Debian's python3 lacks venv/ensurepip until python3-venv is installed.
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  # The store tests run on PostgreSQL too, on a throwaway cluster of their own (tests/postgres.py).
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  # The dashboard's tests drive Debian's headless Chromium through Playwright (tests/integration/
  # dashboard); Playwright's own browser download is never used.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

busybox_static_installed() {
  # busybox-static ships /bin/busybox as a static binary; the dynamic "busybox" package does not.
  dpkg -s busybox-static >/dev/null 2>&1
}

install_python_env() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.dockform-installed"
  if [ ! -f "$stamp" ] || [ "$DOCKFORM_ROOT/pyproject.toml" -nt "$stamp" ]; then
    log "installing dockform and its Python dependencies"
    "$VENV/bin/pip" install -q --upgrade pip >/dev/null
    "$VENV/bin/pip" install -q -e "$DOCKFORM_ROOT[dev,compose]"
    touch "$stamp"
  fi
}

docker_answers() { timeout 5 docker version >/dev/null 2>&1; }

ensure_dockerd() {
  if docker_answers; then return 0; fi
  log "no Docker Engine answers; starting dockerd (--iptables=false --ip-masq=false --ip-forward=false)"
  as_root mkdir -p /var/log
  as_root sh -c 'nohup dockerd --iptables=false --ip-masq=false --ip-forward=false \
      >/var/log/dockform-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do
    if docker_answers; then
      # A dockerd that once ran with iptables on leaves FORWARD at DROP, which breaks
      # container-to-container traffic on bridges; open it if iptables is present.
      if command -v iptables >/dev/null 2>&1; then as_root iptables -P FORWARD ACCEPT 2>/dev/null || true; fi
      return 0
    fi
    sleep 1
  done
  echo "dockerd did not answer within 60 s; see /var/log/dockform-dockerd.log" >&2
  tail -20 /var/log/dockform-dockerd.log >&2 || true
  return 1
}

install_bench_packages() {
  # bench/run compares against Debian's docker-compose (1.29), the peer the README names.
  if ! command -v docker-compose >/dev/null 2>&1; then
    log "installing Debian package: docker-compose"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq docker-compose >/dev/null
  fi
}

install_swarm3_packages() {
  # scripts/swarm3: Debian's registry (docker-registry), iproute2 for the namespaces, busybox
  # (the test image), util-linux (unshare, setsid) and the Docker Engine itself.
  local missing=()
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || missing+=(docker.io)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  busybox_static_installed || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    # On a systemd machine the package starts a registry on :5000 of the host; swarm3 runs
    # its own inside a namespace, so that one is stopped and disabled.
    if [[ " ${missing[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
      as_root systemctl disable --now docker-registry >/dev/null 2>&1 || true
    fi
  fi
}
