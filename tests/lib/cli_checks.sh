# Checks shared by the CLI test scripts (sourced): pass/fail counters, a command's exit
# status, its exact or partial stderr, and leftovers. The caller sets T to its scratch
# directory; each checked command's stdout and stderr go to $T/out and $T/err.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
  echo "FAIL: $*"
  fail=$((fail + 1))
}
# expect RC DESCRIPTION -- COMMAND...: runs COMMAND, checks its exit status.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [[ $rc == "$want" ]]; then ok; else
    bad "$what: exit $rc, wanted $want; stderr: $(head -c 600 "$T/err")"
  fi
}
# stderr_is TEXT DESCRIPTION: the last command's stderr is exactly TEXT.
stderr_is() {
  if [[ "$(cat "$T/err")" == "$1" ]]; then ok; else
    bad "$2: stderr was [$(cat "$T/err")], wanted [$1]"
  fi
}
# stderr_has TEXT DESCRIPTION: the last command's stderr contains TEXT.
stderr_has() {
  if grep -qF -- "$1" "$T/err"; then ok; else bad "$2: stderr lacks [$1]: $(head -c 600 "$T/err")"; fi
}
# no_leftovers OUTPUT DESCRIPTION: neither OUTPUT nor OUTPUT.tmp-* files exist.
no_leftovers() {
  if compgen -G "$1*" >/dev/null; then bad "$2: left $(ls "$1"*)"; else ok; fi
}
