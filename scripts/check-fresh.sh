#!/usr/bin/env bash
# npm run check:fresh [-- OPTIONS]: prove the README's claim that a fresh clone needs nothing installed
# by hand. Clones this repository's main branch into a temporary directory beside a copy of ../shared,
# hides or removes what a person installs by hand, runs the README's two commands there, and prints
# their exit codes and times.
#
#   --remove-packages  really remove (apt-get purge) the Debian packages `npm test` / `npm run pipeline`
#                      install for themselves: chromium and the Jupyter packages (root only; they are
#                      installed again by the run itself). Without it they stay, and the check says that
#                      it could not prove their install steps.
#   --ref REF          clone REF instead of main
#   --ci               run both commands with CI=true (a missing ../shared or package fails)
#   --no-shared        do not copy ../shared beside the clone (then tests needing it skip or, with --ci, fail)
#   --keep             keep the temporary directory
# What is hidden in every case: the user's Jupyter kernel spec `tslab` (moved aside and put back at the
# end), CHROMIUM_PATH, and any jupyter/chromium found on PATH outside the system package directories.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REF=main
REMOVE=0
CI_MODE=0
SHARED=1
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --remove-packages) REMOVE=1 ;;
    --ref) REF="$2"; shift ;;
    --ci) CI_MODE=1 ;;
    --no-shared) SHARED=0 ;;
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "check-fresh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "[check-fresh] $*"; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/drin-fresh.XXXXXX")"
HIDDEN="$WORK/hidden"
mkdir -p "$HIDDEN"

# ------------------------------------------------------------------ hide the user's kernel spec
KERNEL_DIRS=()
for d in "$HOME/.local/share/jupyter/kernels/tslab" "/usr/local/share/jupyter/kernels/tslab" "/usr/share/jupyter/kernels/tslab"; do
  if [ -d "$d" ]; then
    n=${#KERNEL_DIRS[@]}
    mv "$d" "$HIDDEN/kernel-$n"
    KERNEL_DIRS+=("$d")
    say "hid the kernel spec $d"
  fi
done
restore() {
  for i in "${!KERNEL_DIRS[@]}"; do
    d="${KERNEL_DIRS[$i]}"
    if [ -d "$HIDDEN/kernel-$i" ]; then
      # the run may have registered its own spec (pointing into the temporary clone): put the user's back
      rm -rf "$d"
      mkdir -p "$(dirname "$d")"
      mv "$HIDDEN/kernel-$i" "$d"
    fi
  done
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else say "kept $WORK"; fi
}
trap restore EXIT

# ------------------------------------------------------------------ remove or report system packages
PKGS=(chromium chromium-common chromium-sandbox jupyter-notebook jupyter-nbconvert jupyter-client python3-nbclient python3-notebook python3-nbconvert python3-jupyter-client)
installed=()
for p in "${PKGS[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then installed+=("$p"); fi
done
if [ "$REMOVE" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then echo "check-fresh: --remove-packages needs root" >&2; exit 2; fi
  if [ ${#installed[@]} -gt 0 ]; then
    say "removing ${installed[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${installed[@]}" >"$WORK/apt-purge.log" 2>&1 || { cat "$WORK/apt-purge.log"; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get autoremove -y -q >>"$WORK/apt-purge.log" 2>&1 || true
  fi
  installed=()
elif [ ${#installed[@]} -gt 0 ]; then
  say "WARNING: ${installed[*]} are installed; their install steps are not exercised (use --remove-packages as root)"
fi

# anything else a person put on PATH (pip --user, pyenv shims, a downloaded Chromium): drop those directories
CLEAN_PATH=""
IFS=: read -r -a PATH_DIRS <<<"$PATH"
for d in "${PATH_DIRS[@]}"; do
  case "$d" in /usr/bin|/bin|/usr/sbin|/sbin) CLEAN_PATH="$CLEAN_PATH${CLEAN_PATH:+:}$d"; continue ;; esac
  if [ -e "$d/jupyter" ] || [ -e "$d/chromium" ] || [ -e "$d/chromium-browser" ] || [ -e "$d/google-chrome" ]; then
    say "hid $d from PATH (it holds jupyter or a browser)"
  else
    CLEAN_PATH="$CLEAN_PATH${CLEAN_PATH:+:}$d"
  fi
done
if [ "$REMOVE" = 1 ]; then
  for b in jupyter chromium; do
    if [ -e "/usr/bin/$b" ]; then say "WARNING: /usr/bin/$b is still present after the purge (installed another way?)"; fi
  done
fi

# ------------------------------------------------------------------ the fresh clone
say "cloning $REF of $ROOT into $WORK/main"
git clone --quiet --branch "$REF" "$ROOT" "$WORK/main" || { echo "check-fresh: git clone failed" >&2; exit 1; }
if [ "$SHARED" = 1 ]; then
  if [ -d "$ROOT/../shared" ]; then
    cp -r "$ROOT/../shared" "$WORK/shared"
    chmod -R a-w "$WORK/shared"
    say "copied ../shared beside it (read-only, as in CI)"
  else
    say "WARNING: $ROOT/../shared not found: tests that need it will skip (or fail with --ci)"
  fi
fi

run_step() { # name, command...
  local name="$1"; shift
  local log="$WORK/$name.log"
  local t0; t0=$(date +%s)
  (cd "$WORK/main" && env -u CHROMIUM_PATH PATH="$CLEAN_PATH" CI="$([ "$CI_MODE" = 1 ] && echo true || echo '')" "$@" </dev/null) >"$log" 2>&1
  local rc=$?
  local secs=$(( $(date +%s) - t0 ))
  echo "$name|$rc|$secs" >>"$WORK/summary"
  tail -n 15 "$log" | sed "s/^/  [$name] /"
  cp "$log" "${TMPDIR:-/tmp}/drin-fresh-$name.log"
}

say "npm test (log: ${TMPDIR:-/tmp}/drin-fresh-npm-test.log)"
run_step npm-test npm test
say "npm run pipeline (log: ${TMPDIR:-/tmp}/drin-fresh-npm-run-pipeline.log)"
run_step npm-run-pipeline npm run pipeline

skipped_line="$(grep -E '^skipped [0-9]+' "$WORK/npm-test.log" | tail -n 1)"
results="absent"
[ -d "$WORK/main/results" ] && results="$(find "$WORK/main/results" -type f | wc -l) files"
echo
echo "check-fresh summary ($(date -u +%Y-%m-%dT%H:%MZ), $REF at $(git -C "$WORK/main" rev-parse --short HEAD))"
printf '  %-18s %-6s %s\n' command exit seconds
while IFS='|' read -r n rc s; do printf '  %-18s %-6s %s\n' "$n" "$rc" "$s"; done <"$WORK/summary"
echo "  npm test: ${skipped_line:-no skip summary line}"
echo "  results/: $results"
for b in chromium jupyter; do echo "  $b now: $(command -v $b || echo 'not installed')"; done
fail=0
while IFS='|' read -r n rc s; do [ "$rc" = 0 ] || fail=1; done <"$WORK/summary"
exit $fail
