#!/usr/bin/env bash
# make-certs.sh -- a private CA and a server certificate for the broker's TLS
# listeners, with openssl. Re-runs keep the CA (devices already trust it) and
# issue a fresh server certificate.
set -euo pipefail

PROG=make-certs.sh

usage() {
    cat <<'EOF'
Usage: make-certs.sh HOSTNAME [--ip ADDR]... [--client NAME]... [--days N]
                     [--key-owner USER] OUTDIR

Makes, in OUTDIR:
  ca.crt, ca.key        a private certificate authority (10 years); kept when
                        present, so devices that trust ca.crt keep working
  server.crt, server.key
                        the broker's certificate, signed by that CA, for
                        HOSTNAME (and each --ip) in its subjectAltName
  NAME.crt, NAME.key    with --client NAME: a client certificate (CN=NAME),
                        for brokers that ask devices for one
Keys are mode 0600, certificates 0644. Give ca.crt to every device (the
agents' tls_ca_file, the coordinator's tls_ca_file) and to the browsers that
open the pages over https; server.crt and server.key go to the broker
(broker-config/render-config.sh --cafile --certfile --keyfile).

  HOSTNAME          the name devices connect by (broker.example.org); it must
                    match the host in their ssl:// URI
  --ip ADDR         also valid when connecting by this IPv4/IPv6 address
                    (repeatable)
  --client NAME     also a client certificate NAME.crt/NAME.key (repeatable)
  --days N          validity of the server and client certificates (default 825)
  --key-owner USER  chown server.key to USER (the account the broker runs as,
                    e.g. mosquitto), still mode 0600
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 2; }
need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }

host='' out='' days=825 key_owner=''
ips=() clients=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --ip) need_arg "$@"; ips+=("$2"); shift 2 ;;
        --client) need_arg "$@"; clients+=("$2"); shift 2 ;;
        --days) need_arg "$@"; days=$2; shift 2 ;;
        --key-owner) need_arg "$@"; key_owner=$2; shift 2 ;;
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
        -*) die "unknown option '$1' (see --help)" ;;
        *)
            if [[ -z $host ]]; then host=$1
            elif [[ -z $out ]]; then out=$1
            else die "unexpected argument '$1' (see --help)"
            fi
            shift ;;
    esac
done

[[ -n $host && -n $out ]] || die "give HOSTNAME and OUTDIR (see --help)"
# A DNS name (letters, digits, '-', dots; a leading '*.' for a wildcard).
[[ $host =~ ^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$ ]] \
    || die "HOSTNAME '$host' is not a host name (letters, digits, '-' and dots)"
for ip in "${ips[@]}"; do
    [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || ( $ip == *:* && $ip =~ ^[0-9A-Fa-f:.]+$ ) ]] \
        || die "--ip '$ip' is not an IPv4 or IPv6 address"
done
for c in "${clients[@]}"; do
    [[ $c =~ ^[a-z0-9][a-z0-9_.-]{0,63}$ ]] \
        || die "--client '$c' must be 1 to 64 of a-z, 0-9, '_', '.' and '-'"
    [[ $c != ca && $c != server ]] || die "--client '$c' would overwrite the CA or server files"
done
if ! [[ $days =~ ^[0-9]{1,5}$ ]] || (( 10#$days < 1 || 10#$days > 3650 )); then
    die "--days must be a number from 1 to 3650, not '$days'"
fi
if [[ -n $key_owner ]]; then
    id -u "$key_owner" >/dev/null 2>&1 || die "--key-owner '$key_owner' is not an account here"
fi
command -v openssl >/dev/null || die "openssl is not installed (apt-get install openssl)"

# The folder stays readable (the broker's account reads server.crt there);
# every key in it is 0600.
if [[ ! -d $out ]]; then mkdir -p -- "$out" && chmod 0755 -- "$out"; fi
umask 077
tmp=$(mktemp -d "$out/.make-certs.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

# P-256 keys: small, fast, and taken by Mosquitto, Paho and every browser.
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [[ -s $out/ca.key && -s $out/ca.crt ]]; then
    echo "$PROG: keeping the CA in $out (ca.crt, ca.key)"
else
    [[ ! -e $out/ca.key && ! -e $out/ca.crt ]] \
        || die "$out has only one of ca.key and ca.crt: restore the other or remove both"
    newkey "$tmp/ca.key"
    openssl req -new -x509 -key "$tmp/ca.key" -sha256 -days 3650 \
        -subj "/O=outreach/CN=outreach private CA for $host" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$tmp/ca.crt" 2>/dev/null
    mv -- "$tmp/ca.key" "$out/ca.key"
    mv -- "$tmp/ca.crt" "$out/ca.crt"
    echo "$PROG: made a private CA in $out (ca.crt for the devices; keep ca.key offline)"
fi

# issue NAME CN EXT: NAME.key and NAME.crt signed by the CA.
issue() {
    local name=$1 cn=$2 ext=$3
    newkey "$tmp/$name.key"
    openssl req -new -key "$tmp/$name.key" -subj "/O=outreach/CN=$cn" \
        -out "$tmp/$name.csr" 2>/dev/null
    printf '%s\n' "$ext" >"$tmp/$name.ext"
    openssl x509 -req -in "$tmp/$name.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
        -CAcreateserial -CAserial "$out/ca.srl" -sha256 -days "$days" \
        -extfile "$tmp/$name.ext" -out "$tmp/$name.crt" 2>/dev/null
    chmod 0644 "$tmp/$name.crt"
    mv -- "$tmp/$name.key" "$out/$name.key"
    mv -- "$tmp/$name.crt" "$out/$name.crt"
}

san="DNS:$host"
for ip in "${ips[@]}"; do san+=",IP:$ip"; done
issue server "$host" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san"
if [[ -n $key_owner ]]; then chown -- "$key_owner" "$out/server.key"; fi
echo "$PROG: server.crt for $san, valid $days days"

for c in "${clients[@]}"; do
    issue "$c" "$c" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    echo "$PROG: client certificate $c.crt (CN=$c)"
done
chmod 0644 "$out/ca.crt"
chmod 0600 "$out/ca.key" "$out/ca.srl" 2>/dev/null || true
