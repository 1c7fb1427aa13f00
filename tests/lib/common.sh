#!/usr/bin/env bash
# Shared helpers for the integration tests. Source it; works under set -euo pipefail.
#
#   log MSG...                      message on stderr, with the time
#   fail MSG...                     "FAIL: MSG" on stderr, exit 1 (runs the EXIT trap)
#   assert_eq EXPECTED ACTUAL WHAT  fail unless EXPECTED == ACTUAL (string compare)
#   poll_until TIMEOUT_S CMD...     run CMD every 0.1 s until it succeeds (return 0)
#                                   or TIMEOUT_S (may be fractional) passes (return 1)
#   wait_until TIMEOUT_S DESCRIPTION CMD...
#                                   the same, but fails with "timed out after
#                                   TIMEOUT_S s waiting for DESCRIPTION"; the only
#                                   way a test waits: no fixed sleeps
#   tmpdir_setup                    export WORK (fresh temp dir) and set the EXIT trap
#   on_exit FUNC                    run FUNC (no arguments) at exit, latest first
#   track_pid PID                   also kill PID (and its descendants) at exit:
#                                   for processes whose parent has gone, e.g. started
#                                   as "( cmd & )"; the test shell's descendants are
#                                   found without it
#   kill_tree PID...                stop PIDs and all their descendants now (SIGTERM,
#                                   3 s, SIGKILL); use it for "func_that_runs_cmd &"
#
# At exit the trap runs the on_exit functions (latest first), then sends SIGTERM
# to every descendant process of the test shell and to every tracked pid (and
# theirs), waits up to 3 s and SIGKILLs what is left, then removes $WORK unless
# KEEP_WORK=1. Needs Linux /proc.
# CMD output is not redirected by poll_until/wait_until: use quiet commands.
# fail inside $(...) or a pipeline only ends that subshell.

if [[ -n ${_OUTREACH_COMMON_SH:-} ]]; then
    return 0
fi
_OUTREACH_COMMON_SH=1

# Project root (tests/lib/../..).
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT

_EXIT_FUNCS=()
_TRACKED_PIDS=()

log() {
    local t
    printf -v t '%(%H:%M:%S)T' -1
    printf '[%s] %s\n' "$t" "$*" >&2
}

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

assert_eq() {
    [[ $# -eq 3 ]] || fail "assert_eq needs EXPECTED ACTUAL WHAT, got $# arguments"
    if [[ "$1" != "$2" ]]; then
        fail "$3: expected '$1', got '$2'"
    fi
}

# Microseconds since the epoch (bash 5 EPOCHREALTIME; date as a fallback).
_now_us() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        local t=${EPOCHREALTIME/[.,]/}
        printf '%s' "$((10#$t))"
    else
        printf '%s' "$(( $(date +%s%N) / 1000 ))"
    fi
}

# TIMEOUT_S (e.g. 10 or 2.5) to microseconds.
_seconds_to_us() {
    local s=$1 int frac
    [[ $s =~ ^([0-9]+)(\.([0-9]{0,6})[0-9]*)?$ ]] || fail "not a timeout in seconds: '$s'"
    int=${BASH_REMATCH[1]}
    frac=${BASH_REMATCH[3]:-}
    frac=${frac}000000
    printf '%s' "$(( 10#$int * 1000000 + 10#${frac:0:6} ))"
}

poll_until() {
    [[ $# -ge 2 ]] || fail "poll_until needs TIMEOUT_S CMD..."
    local deadline
    deadline=$(( $(_now_us) + $(_seconds_to_us "$1") ))
    shift
    while true; do
        if "$@"; then
            return 0
        fi
        if (( $(_now_us) >= deadline )); then
            return 1
        fi
        sleep 0.1 # the poll interval of poll_until
    done
}

wait_until() {
    [[ $# -ge 3 ]] || fail "wait_until needs TIMEOUT_S DESCRIPTION CMD..."
    local timeout=$1 what=$2
    shift 2
    if ! poll_until "$timeout" "$@"; then
        fail "timed out after ${timeout} s waiting for ${what}"
    fi
}

on_exit() {
    [[ $# -eq 1 ]] || fail "on_exit needs one function name"
    local f
    for f in "${_EXIT_FUNCS[@]}"; do
        [[ $f == "$1" ]] && return 0
    done
    _EXIT_FUNCS+=("$1")
}

track_pid() {
    [[ $1 =~ ^[0-9]+$ ]] || fail "track_pid: not a pid: '$1'"
    _TRACKED_PIDS+=("$1")
}

# Alive = exists and is not a zombie (an orphan's zombie may never be reaped here).
_pid_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    local stat
    { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Print the pids of all descendants of PID (children, grandchildren, ...).
_descendants() {
    local -A kids=()
    local f stat pid ppid
    for f in /proc/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue
        pid=${stat%% *}
        stat=${stat##*) }
        ppid=${stat#* }
        ppid=${ppid%% *}
        kids[$ppid]+="$pid "
    done
    local -a queue=("$1")
    local p c
    while [[ ${#queue[@]} -gt 0 ]]; do
        p=${queue[0]}
        queue=("${queue[@]:1}")
        for c in ${kids[$p]:-}; do
            printf '%s\n' "$c"
            queue+=("$c")
        done
    done
}

# kill_tree PID...: stop each PID and all its descendants (SIGTERM, up to 3 s,
# then SIGKILL). Use it to stop a background job started from a shell function
# (e.g. "mqtt_sub ... &"): $! is then a subshell, and killing only it would
# leave the real client running.
kill_tree() {
    local p
    local -a all=()
    for p in "$@"; do
        all+=("$p")
        mapfile -t -O "${#all[@]}" all < <(_descendants "$p")
    done
    _stop_pids "${all[@]}"
}

_any_alive() {
    local p
    for p in "$@"; do
        _pid_alive "$p" && return 0
    done
    return 1
}

_none_alive() { ! _any_alive "$@"; }

# Stop PIDs: SIGTERM, wait up to 3 s, then SIGKILL.
_stop_pids() {
    [[ $# -gt 0 ]] || return 0
    kill -TERM "$@" 2>/dev/null || true
    if ! poll_until 3 _none_alive "$@"; then
        kill -KILL "$@" 2>/dev/null || true
        poll_until 2 _none_alive "$@" || true
    fi
}

_exit_trap() {
    local rc=$? i p pids=()
    set +e
    trap - EXIT
    for (( i = ${#_EXIT_FUNCS[@]} - 1; i >= 0; i-- )); do
        "${_EXIT_FUNCS[i]}"
    done
    # Everything this shell started, and the tracked pids, with all their
    # descendants, collected before anything is killed (a child killed
    # first would orphan its own children).
    mapfile -t pids < <(_descendants "$$")
    for p in "${_TRACKED_PIDS[@]}"; do
        pids+=("$p")
        mapfile -t -O "${#pids[@]}" pids < <(_descendants "$p")
    done
    _stop_pids "${pids[@]}"
    if [[ -n ${WORK:-} && -d $WORK ]]; then
        if [[ ${KEEP_WORK:-0} == 1 ]]; then
            log "kept work directory $WORK"
        else
            rm -rf -- "$WORK"
        fi
    fi
    exit "$rc"
}

tmpdir_setup() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/outreach-test.XXXXXX")
    export WORK
    trap _exit_trap EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
