#!/usr/bin/env bash
# Checks the built workloads: ELF header, no floating-point instructions, and
# (unless --no-run) runs each program under qemu-riscv64 twice at the small and
# the default size, requiring exit status 0 and byte-identical stdout.
#
# usage: workloads/check.sh BUILD_DIR [--no-run] [--small-only]
#   BUILD_DIR: the workloads binary dir (holds workloads.tsv and the .elf files)
set -euo pipefail

dir=${1:?usage: check.sh BUILD_DIR [--no-run] [--small-only]}
shift
run=1
sizes="small default"
for a in "$@"; do
  case $a in
    --no-run) run=0 ;;
    --small-only) sizes="small" ;;
    *) echo "check.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
tsv=$dir/workloads.tsv
[ -f "$tsv" ] || { echo "check.sh: $tsv not found" >&2; exit 2; }
objdump=riscv64-unknown-elf-objdump
qemu=${QEMU:-qemu-riscv64}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fields: name, elf, default_args, small_args (tab separated; empty fields kept)
while IFS= read -r line; do
  name=$(cut -f1 <<<"$line"); elf=$(cut -f2 <<<"$line")
  dflt=$(cut -f3 <<<"$line"); small=$(cut -f4 <<<"$line")

  hdr=$(readelf -h "$elf")
  grep -q 'Class:.*ELF64' <<<"$hdr" || { echo "$name: not ELF64"; fail=1; }
  grep -q 'Type:.*EXEC' <<<"$hdr" || { echo "$name: not EXEC"; fail=1; }
  grep -q 'Machine:.*RISC-V' <<<"$hdr" || { echo "$name: not RISC-V"; fail=1; }
  # mnemonics starting with 'f' other than fence/fence.i are FP instructions
  fp=$("$objdump" -d "$elf" | awk -F'\t' 'NF >= 3 && $3 ~ /^f/ && $3 !~ /^fence/ {print}' | head -3)
  if [ -n "$fp" ]; then echo "$name: floating-point instructions:"; echo "$fp"; fail=1; fi
  [ $run = 1 ] || continue

  for size in $sizes; do
    args=$([ "$size" = small ] && echo "$small" || echo "$dflt")
    for i in 1 2; do
      start=$(date +%s.%N)
      set +e
      # shellcheck disable=SC2086
      "$qemu" "$elf" $args >"$tmp/out$i" 2>"$tmp/err$i"
      rc=$?
      set -e
      end=$(date +%s.%N)
      t[i]=$(echo "$end - $start" | bc)
      r[i]=$rc
    done
    status=ok
    if [ "${r[1]}" != 0 ] || [ "${r[2]}" != 0 ]; then status="FAIL(rc ${r[1]}/${r[2]})"; fail=1; fi
    if ! cmp -s "$tmp/out1" "$tmp/out2"; then status="FAIL(output differs)"; fail=1; fi
    if [ -s "$tmp/err1" ]; then status="$status stderr:$(head -c 200 "$tmp/err1")"; fi
    printf '%-14s %-7s %-10s %6.3fs %6.3fs  %s | %s\n' "$name" "$size" "[${args}]" "${t[1]}" "${t[2]}" \
      "$status" "$(tail -n 1 "$tmp/out1")"
  done
done <"$tsv"
exit $fail
