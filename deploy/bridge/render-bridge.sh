#!/usr/bin/env bash
# Fill deploy/bridge/bridge.conf.in: the bridge section of a regional
# Mosquitto broker that forwards its devices' traffic to the coordinators'
# broker. See --help.
set -euo pipefail

PROG=render-bridge.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat <<'USAGE'
Usage: render-bridge.sh --name NAME --address HOST:PORT --username USER
                        --password-file FILE [--topic-root ROOT]
                        [--cafile CA.crt] [--restart-timeout "BASE CAP"]
                        [--template FILE] [--out FILE]

Writes the bridge section of a regional broker's configuration to FILE
(atomically, mode 0600: it holds the password) or to standard output. Append
it to the regional broker's own configuration (broker-config/render-config.sh),
after everything else:

  cat regional-site.conf bridge.conf >/etc/outreach/mosquitto-regional.conf

  --name NAME          the bridge connection's name, e.g. north
  --address HOST:PORT  the coordinators' broker (its TLS listener with --cafile)
  --username USER      the bridge's account on the coordinators' broker, made
                       there by deploy/provision-accounts.sh --bridges USER;
                       it is also the client id (USER: the broker refuses any
                       id that is not USER or USER.SUFFIX)
  --password-file FILE that account's secret (OUTDIR/secrets/USER.pw of the
                       coordinators' broker's provisioning)
  --topic-root ROOT    topic root (default: outreach/v1)
  --cafile CA.crt      connect over TLS, checking the coordinators' broker's
                       certificate against this CA (host name included)
  --restart-timeout S  reconnect delay after a failure: "BASE CAP" seconds
                       (backoff, default "5 30") or one constant number
  --template FILE      template (default: bridge.conf.in beside this script)
  --out FILE           output file (default: standard output)
  -h, --help           this text
USAGE
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 2; }

name='' address='' username='' password_file='' root=outreach/v1 cafile=''
restart='5 30' template=$HERE/bridge.conf.in out=''
need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --name) need_arg "$@"; name=$2; shift 2 ;;
        --address) need_arg "$@"; address=$2; shift 2 ;;
        --username) need_arg "$@"; username=$2; shift 2 ;;
        --password-file) need_arg "$@"; password_file=$2; shift 2 ;;
        --topic-root) need_arg "$@"; root=$2; shift 2 ;;
        --cafile) need_arg "$@"; cafile=$2; shift 2 ;;
        --restart-timeout) need_arg "$@"; restart=$2; shift 2 ;;
        --template) need_arg "$@"; template=$2; shift 2 ;;
        --out) need_arg "$@"; out=$2; shift 2 ;;
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ -n $name ]] || die "--name is required (the bridge's name, e.g. north)"
[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]] \
    || die "--name '$name' must be 1..64 letters, digits, '.', '_' or '-'"
[[ -n $address ]] || die "--address is required (HOST:PORT of the coordinators' broker)"
[[ $address =~ ^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]|[0-9A-Fa-f:]+):[0-9]{1,5}$ ]] \
    || die "--address '$address' must be HOST:PORT (an IPv6 address with its port: [::1]:8883 or ::1:8883)"
port=${address##*:}
(( 10#$port >= 1 && 10#$port <= 65535 )) || die "--address '$address': port must be 1..65535"
[[ -n $username ]] || die "--username is required (the bridge's account: provision-accounts.sh --bridges USER)"
[[ $username =~ ^[a-z0-9][a-z0-9_-]{0,63}$ ]] \
    || die "--username '$username' must match ^[a-z0-9][a-z0-9_-]{0,63}\$ (provision-accounts.sh account names)"
[[ -n $password_file ]] || die "--password-file is required (OUTDIR/secrets/$username.pw of the coordinators' broker)"
[[ -r $password_file ]] || die "--password-file '$password_file' is not a readable file"
password=$(<"$password_file")
[[ -n $password && $password != *[[:space:]]* ]] \
    || die "--password-file '$password_file' is empty or holds white space (Mosquitto reads the value to the end of the line)"
[[ $root =~ ^[^/+#[:space:]]+(/[^/+#[:space:]]+)*$ ]] \
    || die "invalid --topic-root '$root' (levels separated by '/', no wildcards, no spaces)"
[[ $restart =~ ^[0-9]{1,5}( [0-9]{1,5})?$ ]] \
    || die "--restart-timeout '$restart' must be \"BASE CAP\" or one number of seconds"
if [[ -n $cafile ]]; then
    [[ $cafile == /* && $cafile != *[[:space:]]* ]] \
        || die "--cafile '$cafile' must be an absolute path without white space"
    [[ -r $cafile ]] || die "--cafile '$cafile' is not a readable file"
    tls_exprs=(-e 's/^#@TLS //' -e '/^#@NOTLS/d')
else
    tls_exprs=(-e 's/^#@NOTLS //' -e 's/^#@NOTLS$//' -e '/^#@TLS/d')
fi
[[ -r $template ]] || die "template '$template' not readable"

esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }
rendered=$(sed "${tls_exprs[@]}" -e '/^#@/d' \
    -e "s|@NAME@|$(esc "$name")|g" \
    -e "s|@ADDRESS@|$(esc "$address")|g" \
    -e "s|@USERNAME@|$(esc "$username")|g" \
    -e "s|@PASSWORD@|$(esc "$password")|g" \
    -e "s|@TOPIC_ROOT@|$(esc "$root")|g" \
    -e "s|@CAFILE@|$(esc "$cafile")|g" \
    -e "s|@RESTART_TIMEOUT@|$restart|g" \
    "$template")
if left=$(grep -o '@[A-Z_]*@' <<<"$rendered" | sort -u | tr '\n' ' ') && [[ -n $left ]]; then
    die "template has placeholders this script does not know: $left"
fi

if [[ -n $out ]]; then
    tmp=$(umask 077 && mktemp "$(dirname -- "$out")/.$(basename -- "$out").XXXXXX")
    printf '%s\n' "$rendered" >"$tmp"
    chmod 0600 "$tmp"
    mv -f -- "$tmp" "$out"
else
    printf '%s\n' "$rendered"
fi
