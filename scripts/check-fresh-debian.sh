#!/usr/bin/env bash
# Proves the README quick start (`make run`, `make test`) works on a fresh minimal Debian 12, in a debootstrap chroot.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/check-fresh-debian.sh [--reuse] [--remove] [--dir DIR] [--tail N] [REPO]

Builds a minimal Debian 12 (bookworm) root with debootstrap, clones the committed
HEAD of REPO into it (/root/mxconform) and runs the README quick start there as root:
  make run     then     make test
Prints the tail of each and fails with a clear message if either fails.

  REPO         git repository to clone (default: the repository holding this script).
               Only committed history is used; the working tree is ignored.
  --dir DIR    chroot directory (default: /var/tmp/mxconform-fresh-debian).
               Must not be inside the repository.
  --reuse      reuse DIR if it is already bootstrapped (fast reruns: packages
               installed by a previous run stay installed). The clone is always fresh.
               Without --reuse, DIR is deleted and bootstrapped from scratch.
  --no-apt-lists
               empty the chroot's apt lists first, like the debian:12 container image
               (debootstrap leaves bookworm/main lists behind; this makes scripts/deps.sh
               take its `apt-get update` fallback).
  --remove     delete DIR at the end (default: keep it, so a later --reuse is fast).
  --tail N     lines of output to show from each make step (default: 40).
  -h, --help   this text.

Nothing is done in the chroot before `make run`: no apt-get update and no packages
beyond debootstrap's minbase + git + make; scripts/deps.sh has to install the rest.

Needs root on a Debian/Ubuntu host with network access to deb.debian.org.
Full logs are written to DIR.logs/ (next to the chroot directory).
EOF
}

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=""
root_dir=/var/tmp/mxconform-fresh-debian
reuse=0
keep=1
no_apt_lists=0
tail_n=40
mirror=http://deb.debian.org/debian

while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --reuse) reuse=1 ;;
    --remove) keep=0 ;;
    --no-apt-lists) no_apt_lists=1 ;;
    --dir) root_dir=${2:?--dir needs an argument}; shift ;;
    --dir=*) root_dir=${1#--dir=} ;;
    --tail) tail_n=${2:?--tail needs an argument}; shift ;;
    --tail=*) tail_n=${1#--tail=} ;;
    -*) echo "check-fresh-debian: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) [ -z "$repo" ] || { echo "check-fresh-debian: only one REPO may be given" >&2; exit 2; }
       repo=$1 ;;
  esac
  shift
done

log() { printf '[check-fresh-debian %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, mount and chroot need it)"

if [ -z "$repo" ]; then
  repo=$(git -C "$script_dir" rev-parse --show-toplevel) || die "no REPO given and $script_dir is not in a git repository"
fi
repo=$(cd "$repo" 2>/dev/null && pwd || echo "$repo")
git -C "$repo" rev-parse --verify -q HEAD >/dev/null || die "$repo is not a git repository with a commit"
head_rev=$(git -C "$repo" rev-parse HEAD)

root_dir=$(realpath -m "$root_dir")
case "$root_dir/" in
  "$repo"/*) die "chroot directory $root_dir must not be inside the repository $repo" ;;
esac
case "$root_dir" in
  /|/var|/var/tmp|/tmp|/root|/home) die "refusing to use $root_dir as the chroot directory" ;;
esac
log_dir="$root_dir.logs"
mkdir -p "$log_dir"

# --- unmount on every exit --------------------------------------------------------------
mounted=()
cleanup() {
  local rc=$? i
  for (( i=${#mounted[@]}-1; i>=0; i-- )); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null \
      || log "warning: could not unmount ${mounted[i]}"
  done
  # anything else left mounted below the root (e.g. from an interrupted earlier run)
  if [ -d "$root_dir" ]; then
    awk -v r="$root_dir/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r \
      | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  if [ "$keep" -eq 0 ] && [ -d "$root_dir" ]; then
    if awk -v r="$root_dir/" 'index($2, r) == 1 { f=1 } END { exit !f }' /proc/self/mounts; then
      log "warning: mounts remain under $root_dir; not deleting it"
    else
      rm -rf --one-file-system "$root_dir"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bind_mount() {  # bind_mount HOST_PATH  (mounted at the same path inside the root)
  local src=$1 dst=$root_dir$1
  mkdir -p "$dst"
  mount --bind "$src" "$dst"
  mounted+=("$dst")
}

# leftover mounts from an interrupted earlier run would make rm -rf dangerous
if awk -v r="$root_dir/" 'index($2, r) == 1 { f=1 } END { exit !f }' /proc/self/mounts; then
  log "unmounting leftovers under $root_dir"
  awk -v r="$root_dir/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r \
    | while read -r m; do umount -l "$m"; done
fi

# --- debootstrap ----------------------------------------------------------------------
if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap on the host"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y debootstrap; then
    apt-get update
    apt-get install -y debootstrap
  fi
fi

t0=$SECONDS
if [ "$reuse" -eq 1 ] && [ -x "$root_dir/bin/bash" ] && [ -f "$root_dir/var/lib/dpkg/status" ] \
   && [ ! -d "$root_dir/debootstrap" ]; then
  log "reusing bootstrapped root $root_dir"
else
  if [ -e "$root_dir" ]; then
    log "removing old $root_dir"
    rm -rf --one-file-system "$root_dir"
  fi
  log "debootstrap --variant=minbase --include=git,make bookworm $root_dir $mirror (log: $log_dir/debootstrap.log)"
  if ! debootstrap --variant=minbase --include=git,make bookworm "$root_dir" "$mirror" \
       >"$log_dir/debootstrap.log" 2>&1; then
    tail -n 30 "$log_dir/debootstrap.log" >&2
    die "debootstrap failed (full log: $log_dir/debootstrap.log)"
  fi
fi
t_boot=$((SECONDS - t0))
log "root ready in ${t_boot}s"

# --- network and apt sources ------------------------------------------------------------
cp -L /etc/resolv.conf "$root_dir/etc/resolv.conf"
# The host's Debian sources (deb.debian.org, security); sources for third-party repositories
# are skipped: their keyrings do not exist in the new root and a fresh Debian has none of them.
# The chroot's sources become exactly the host's: debootstrap's own one-line sources.list
# would otherwise duplicate a host deb822 debian.sources (apt warns "configured multiple times").
mkdir -p "$root_dir/etc/apt/sources.list.d"
rm -f "$root_dir/etc/apt/sources.list" "$root_dir"/etc/apt/sources.list.d/*.list \
  "$root_dir"/etc/apt/sources.list.d/*.sources
copied=0
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  if ! grep -Eq '^[^#]*(deb|security)\.debian\.org' "$f"; then
    log "not copying apt source $f (no Debian archive in it)"
    continue
  fi
  cp "$f" "$root_dir$f"
  log "copied apt source $f"
  copied=1
done
if [ "$copied" -eq 0 ]; then
  log "the host has no Debian apt sources; writing bookworm sources for $mirror"
  cat >"$root_dir/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
fi

if [ "$no_apt_lists" -eq 1 ]; then
  log "emptying the chroot's apt lists (--no-apt-lists)"
  find "$root_dir/var/lib/apt/lists" -maxdepth 1 -type f -delete
  rm -f "$root_dir"/var/cache/apt/*.bin
fi

# --- mounts -------------------------------------------------------------------------------
for m in /proc /sys /dev /dev/pts /dev/shm; do
  bind_mount "$m"
done

# --- clone the committed HEAD ---------------------------------------------------------------
rm -rf "$root_dir/root/mxconform"
log "cloning $repo (HEAD $head_rev) into $root_dir/root/mxconform"
git clone -q --no-local "$repo" "$root_dir/root/mxconform"
git -C "$root_dir/root/mxconform" checkout -q --detach "$head_rev"

# --- the quick start -------------------------------------------------------------------------
run_step() {  # run_step NAME  -> runs `make NAME` in the clone, inside the chroot
  local name=$1 logf="$log_dir/make-$1.log" start rc
  start=$SECONDS
  log "chroot: cd /root/mxconform && make $name (log: $logf)"
  set +e
  chroot "$root_dir" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
    /bin/bash -lc "cd /root/mxconform && make $name" >"$logf" 2>&1
  rc=$?
  set -e
  eval "t_$name=\$((SECONDS - start))"
  echo "----- make $name: last $tail_n lines -----"
  tail -n "$tail_n" "$logf"
  echo "----- end of make $name (exit $rc, $((SECONDS - start))s) -----"
  return "$rc"
}

t_run=0; t_test=0
if ! run_step run; then
  die "'make run' failed in the fresh Debian 12 chroot (full log: $log_dir/make-run.log)"
fi
if ! run_step test; then
  die "'make test' failed in the fresh Debian 12 chroot (full log: $log_dir/make-test.log)"
fi

log "summary: bootstrap ${t_boot}s, make run ${t_run}s, make test ${t_test}s"
grep -E '[0-9]+ passed, [0-9]+ failed' "$log_dir/make-run.log" | tail -n 1 | sed 's/^/  make run:  /' >&2 || true
grep -E 'tests passed|tests failed|Total Test time' "$log_dir/make-test.log" | sed 's/^/  make test: /' >&2 || true
log "PASSED: make run and make test work on a fresh Debian 12 (commit $head_rev)"
