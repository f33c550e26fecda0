#!/usr/bin/env bash
# The constant-time check of nullivote (attack 30, the "ctgrind" method), in one command:
#
#     bash ct/run.sh
#
# For each curve25519-dalek backend (default: "simd", whose AVX2 code is chosen at run time by
# CPUID, and "serial"), it builds ct/ in release with debug info and runs it under valgrind
# memcheck. The harness (ct/src/main.rs) marks every secret undefined (secret inputs, and every
# byte of RNG output), runs the operation (encryption, range/DLEQ/Schnorr provers, credential
# and nullifier derivation, the whole ballot::prepare with countersignature, decryption shares,
# DKG part1), and marks the public outputs defined again before checking them. Memcheck reports
# each branch ("Conditional jump or move depends on uninitialised value(s)") and each address
# ("Use of uninitialised value of size N") that depends on a secret. Verified declassification
# points are suppressed, one source line each (ct/ctgrind.supp.in, line numbers found from
# anchors at run time). Then it runs ct's tests: Debug of every secret type prints no secret,
# and secrets are wiped (zeroize() and drop).
#
# Exit status: 0 only if valgrind reported no error for every backend and the tests passed.
#
# Environment:
#   CT_BACKENDS="simd serial"  backends to check (simd = dalek's default build)
#   CT_SKIP_TESTS=1            only the valgrind check
#   CT_GEN_SUPP=1              print a suppression for every error (to study one, not to paste
#                              blindly: each suppression must be justified in ctgrind.supp.in)
#   CT_VALGRIND_ARGS="..."     extra valgrind arguments
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
out="$here/target/ctgrind"
mkdir -p "$out"

say() { printf '%s\n' "$*"; }
rule() { say "------------------------------------------------------------------------------"; }

command -v valgrind >/dev/null || { say "ct: valgrind not found (apt-get install valgrind)"; exit 2; }
command -v cargo >/dev/null || { say "ct: cargo not found"; exit 2; }

# --- suppressions: resolve the anchors of ctgrind.supp.in to line numbers -------------------
supp="$out/ctgrind.supp"
sed_args=()
anchor_notes=()
while IFS= read -r line; do
    rest="${line#\# @anchor }"
    name="${rest%% *}"; rest="${rest#* }"
    file="${rest%% *}"; text="${rest#* }"
    matches="$(grep -nF -- "$text" "$root/$file" 2>/dev/null | cut -d: -f1)"
    count="$(printf '%s' "$matches" | grep -c . || true)"
    if [ "$count" = 1 ]; then
        sed_args+=(-e "s|@$name@|$matches|g")
        anchor_notes+=("  $name -> $file:$matches")
    else
        sed_args+=(-e "s|@$name@|0|g")
        anchor_notes+=("  $name -> NOT FOUND ($count matches of '$text' in $file): suppression inert, re-verify")
    fi
done < <(grep '^# @anchor ' "$here/ctgrind.supp.in")
sed "${sed_args[@]}" "$here/ctgrind.supp.in" > "$supp"

status=0
summary=()

for backend in ${CT_BACKENDS:-simd serial}; do
    case "$backend" in
        simd)
            flags=""
            desc="simd (dalek default build: AVX2 selected at run time if CPUID reports it, else serial)" ;;
        serial)
            flags='--cfg curve25519_dalek_backend="serial"'
            desc="serial (64-bit field arithmetic, no vector code)" ;;
        *) say "ct: unknown backend '$backend' (simd or serial)"; exit 2 ;;
    esac
    rule
    say "ct: building, backend $desc"
    target="$here/target/$backend"
    if ! CARGO_TARGET_DIR="$target" RUSTFLAGS="${RUSTFLAGS:-} $flags" CT_BACKEND="$desc" \
        cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin nullivote-ct; then
        say "ct: build failed ($backend)"; exit 2
    fi
    bin="$target/release/nullivote-ct"
    log="$out/$backend.valgrind.log"
    stdout="$out/$backend.stdout"
    gen=no; [ "${CT_GEN_SUPP:-0}" = 1 ] && gen=all
    say "ct: valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes ... $bin"
    # shellcheck disable=SC2086
    valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes \
        --num-callers=40 --show-error-list=yes --gen-suppressions="$gen" \
        --suppressions="$supp" --log-file="$log" ${CT_VALGRIND_ARGS:-} \
        "$bin" > "$stdout" 2>&1
    rc=$?
    grep '^\[ct\]' "$stdout" | grep -v ' \.\.\.$' | grep -vE '^\[ct\] .*: [0-9]+ memcheck error\(s\)$'
    errors="$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -1)"
    errors="${errors:-?}"
    say "ct: $(grep 'ERROR SUMMARY' "$log" | tail -1 | sed 's/^==[0-9]*== //')"
    say "ct: suppressions used (count, name):"
    grep 'used_suppression:' "$log" | sed 's/^[-=]*[0-9]*[-=]* *used_suppression: *\([0-9]*\) \([^ ]*\) .*/    \1  \2/' | sort -k2
    for name in $(grep -A1 '^{' "$supp" | grep -v '^{' | grep -v '^--' | tr -d ' '); do
        grep -q "used_suppression: *[0-9]* $name " "$log" || say "    (not triggered: $name)"
    done
    canaries=ok
    for name in ct-canary-secret-branch ct-canary-secret-index; do
        grep -q "used_suppression: *[0-9]* $name " "$log" || canaries=missing
    done
    if [ "$canaries" = ok ]; then
        say "ct: canaries reported (a secret branch, a secret index): the check detects both"
    else
        say "ct: a canary was NOT reported: this build/valgrind does not detect what it should"
        status=1
        summary+=("valgrind, $backend backend: canary not detected  <-- FAIL")
    fi
    if [ "$rc" != 0 ] || [ "$errors" != 0 ]; then
        status=1
        if grep -q 'panicked' "$stdout"; then
            say "ct: the harness failed:"; cat "$stdout"
        fi
        say "ct: errors (full log: $log):"
        # Every error context once: its kind, its stack up to the harness frame, and where the
        # undefined value came from (the client request marking a secret).
        awk '
            /^==[0-9]+== (Conditional|Use of|Uninitialised|Invalid|Syscall|Source and)/ { p = 1; cut = 0 }
            p && /^==[0-9]+== $/ { p = 0; print ""; next }
            p {
                line = $0; sub(/^==[0-9]+== ?/, "", line)
                if (line ~ /created by a client request/) { cut = 0 }
                if (!cut) print "    " line
                if (line ~ /nullivote_ct::/) cut = 1
            }' "$log"
        summary+=("valgrind, $backend backend: $errors error(s), exit $rc  <-- FAIL")
    else
        summary+=("valgrind, $backend backend: 0 errors")
    fi
done

if [ "${CT_SKIP_TESTS:-0}" != 1 ]; then
    rule
    say "ct: cargo test (Debug of secret types, zeroize, wiping on drop)"
    # Same target directory and flags as the simd build: the dependencies are not rebuilt.
    if CARGO_TARGET_DIR="$here/target/simd" RUSTFLAGS="${RUSTFLAGS:-} " cargo test --release --quiet \
        --manifest-path "$here/Cargo.toml" -- --nocapture --test-threads=1 > "$out/tests.log" 2>&1; then
        grep -E '^(test |    wiped|NOT WIPED|test result)' "$out/tests.log" | grep -v 'test result: ok. 0 passed'
        summary+=("tests: passed")
    else
        grep -E '^(test |    wiped|NOT WIPED|test result|---- |secrets left|.*: \((needle|secret), freed)' "$out/tests.log" \
            | grep -v 'test result: ok. 0 passed'
        # Panic messages, except the expected one of the negative control (should_panic).
        awk '/^thread .* panicked/ { n = ($0 ~ /the_debug_check_catches/) ? 0 : 2 }
             n > 0 { print "    " $0; n-- }' "$out/tests.log" | grep -v 'secrets left' | head -40
        say "ct: full test output: $out/tests.log"
        summary+=("tests: FAILED  <-- FAIL")
        status=1
    fi
fi

rule
say "ct: suppression anchors:"
printf '%s\n' "${anchor_notes[@]}"
say "ct: summary"
printf '  %s\n' "${summary[@]}"
[ "$status" = 0 ] && say "ct: OK" || say "ct: FAILED"
exit "$status"
