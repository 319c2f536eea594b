# Debian packages for scripts/test and scripts/check-gpu-build (sourced).
#
#   debian_install PACKAGE...   installs those not installed yet (apt-get, as
#                               root or through sudo); does nothing when all are
#
# A script that must change apt's sources for some package defines
# debian_before_install: it runs after `apt-get update` with the missing
# packages as arguments, before they are installed.

debian_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

debian_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

debian_install() {
  local p missing=()
  for p in "$@"; do debian_installed "$p" || missing+=("$p"); done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}"
  debian_root apt-get update -qq
  if declare -F debian_before_install >/dev/null; then debian_before_install "${missing[@]}"; fi
  # env inside sudo: sudo drops the caller's environment
  debian_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
