# Sourced by make cluster and the cluster stage of make test.
#
# ensure_nginx — makes sure Debian's nginx is installed (apt-get install nginx-light when it is missing;
# sudo when not root). Returns non-zero, with a message, when it cannot be had.
ensure_nginx() {
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "nginx is not installed and there is no apt-get to install it (install nginx, then rerun)"
    return 1
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "==> installing Debian's nginx (apt-get install nginx-light)"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx-light >/dev/null || true
  if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then return 0; fi
  echo "nginx could not be installed with apt-get"
  return 1
}
