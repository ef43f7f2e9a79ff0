# Sourced by the corpus case scripts. enter_case_workdir DIR: a fresh work dir for one case,
# entered. It is removed when the case passes or is skipped (exit 0 or 77): a full run writes
# gigabytes of outputs, and only a failure's are worth keeping (DUMPFMT_KEEP_WORK=1 keeps all).
enter_case_workdir() {
  _case_workdir=$1
  rm -rf "$_case_workdir"
  mkdir -p "$_case_workdir"
  cd "$_case_workdir" || exit 1
  trap '_case_rc=$?
    if [[ ($_case_rc == 0 || $_case_rc == 77) && -z ${DUMPFMT_KEEP_WORK:-} ]]; then
      cd / && rm -rf "$_case_workdir"
    fi' EXIT
}
