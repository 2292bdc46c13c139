# Shared by the bench scripts (sourced): collecting RESULT lines, their medians, table rows
# and writing a table into bench/RESULTS.md. Expects $work (a scratch dir) and $results.

measure() {  # measure RUN COMMAND...: keeps the RESULT lines, tagged with the run
  local run="$1"; shift
  "$@" | awk -v run="$run" '/^RESULT / { print run, $2, $3, $4 }' | tee -a "$results"
}

# Median and range of each figure over the runs (awk only: nothing to install).
summarize() {
  summary="$work/summary.txt"
  sort -k2,2 -k3,3g "$results" | awk '
    { name = $2; v[name, ++n[name]] = $3; unit[name] = $4; if (!(name in seen)) { seen[name] = 1; order[++k] = name } }
    END {
      for (i = 1; i <= k; i++) {
        name = order[i]; c = n[name]
        median = (c % 2) ? v[name, (c + 1) / 2] : (v[name, c / 2] + v[name, c / 2 + 1]) / 2
        printf "%s %.3f %.3f %.3f %s %d\n", name, median, v[name, 1], v[name, c], unit[name], c
      }
    }' > "$summary"
}

value() { awk -v n="$1" '$1 == n { print $2 }' "$summary"; }
row() {  # row NAME LABEL TARGET
  awk -v n="$1" -v label="$2" -v target="$3" '$1 == n {
    printf "| %s | %s %s | %s-%s | %s |\n", label, fmt($2), $5, fmt($3), fmt($4), target }
    function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }' "$summary"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
machine() {  # "N cores (CPU), M GiB, OS"
  local cpu mem
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  echo "$(nproc) cores ($cpu), $mem, $(. /etc/os-release && echo "$PRETTY_NAME")"
}

# write_table KEY FILE: replaces the table between <!-- KEY:start --> and <!-- KEY:end -->
# in bench/RESULTS.md with FILE (which carries those markers), or adds it after the header.
write_table() {
  local start="<!-- $1:start -->" end="<!-- $1:end -->" results_md=bench/RESULTS.md
  if grep -qF "$start" "$results_md"; then
    awk -v table="$2" -v start="$start" -v end="$end" '
      $0 == start { while ((getline line < table) > 0) print line; skip = 1; next }
      $0 == end { skip = 0; next }
      !skip { print }' "$results_md" > "$work/RESULTS.md"
  else
    awk -v table="$2" '
      NR == 5 { while ((getline line < table) > 0) print line; print "" }
      { print }' "$results_md" > "$work/RESULTS.md"
  fi
  cp "$work/RESULTS.md" "$results_md"
  echo "written to $(pwd)/$results_md" >&2
}
