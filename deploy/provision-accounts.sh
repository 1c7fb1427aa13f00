#!/usr/bin/env bash
# Create or update the broker accounts of one outreach site: per-account
# secrets and the Mosquitto dynamic-security configuration. See --help.
set -euo pipefail

PROG=provision-accounts.sh
NAME_RE='^[a-z0-9][a-z0-9_-]{0,63}$'
PW_LEN=32
# PBKDF2-SHA512 rounds of the stored password hashes: Mosquitto's own default
# (PW_DEFAULT_ITERATIONS, 101). The passwords are 32 random characters
# (about 190 bits), which no number of rounds would make easier to guess,
# and every connection pays for the rounds in broker CPU.
PW_ITERATIONS=101

usage() {
    cat <<'EOF'
Usage: provision-accounts.sh OUTDIR [options]

Creates or updates, in OUTDIR:
  dynsec/dynsec.json  the configuration of Mosquitto's dynamic-security plugin
                     (accounts with PBKDF2-SHA512 password hashes, roles and
                     their topic rights), generated: do not edit it, and do not
                     change accounts with mosquitto_ctrl (the next run writes
                     the file anew from OUTDIR/accounts and OUTDIR/secrets)
  secrets/USER.pw    each account's password in clear (mode 0600, no newline):
                     hand it to the device or service that logs in as USER
  accounts           the account list, one "ROLE USER" per line
  secrets/share-group  a shared-subscription group name for the coordinator
                     (random, kept on re-runs). Optional since the broker
                     checks subscriptions: only the coordinator may join a
                     $share group, so the coordinator's default group is safe.
The broker account must own OUTDIR/dynsec (the plugin saves dynsec.json
there): run as root, the script gives it to the "mosquitto" account.
The broker reads dynsec.json only when it starts: restart it after a run.
Files of an older version (passwd, acl) are removed.

Options (lists are space- or comma-separated):
  --coordinator NAME     coordinator account            (default: coordinator)
  --dashboard NAME       read-only dashboard account    (default: dashboard)
  --admins "A B ..."     coordinator staff accounts     (default: admin)
  --agents "A B ..."     field agent accounts, e.g. "team-01 team-02"
  --volunteers "V ..."   volunteer accounts, e.g. "vol-01 vol-02"
  --bridges "B ..."      bridge accounts of regional brokers, e.g. "bridge-north"
                         (deploy/bridge/README.md)
  --topic-root ROOT      topic root                     (default: outreach/v1)
  -h, --help             this text

Re-running is safe: the accounts already listed in OUTDIR/accounts are kept
with their passwords (read back from OUTDIR/secrets), the named ones are
added, and dynsec.json is written anew. To remove an account, delete its line
from OUTDIR/accounts and its secret, then re-run. An account keeps one role:
naming it with another role is an error.

Usernames must match ^[a-z0-9][a-z0-9_-]{0,63}$ (docs/protocol.md identifiers).
Passwords are 32 random letters and digits from /dev/urandom.

Client ids: an account may connect only with the client id USER or
USER.SUFFIX (e.g. team-01, team-01.cli-4242); the broker plugin
outreach_policy (broker-plugin/) refuses any other, so no account can take
over another's session. The same plugin refuses retained messages on report
and request topics.

Rights (ROOT = outreach/v1). "read" is subscribe and receive; a SUBSCRIBE to
anything else is refused (SUBACK "not authorised"), a PUBLISH elsewhere too
(MQTT 5 PUBACK "not authorised"); unsubscribing is always allowed.
  everyone     read ROOT/trips/#, ROOT/progress/#, ROOT/agents/+/status,
               ROOT/coordinator/status
  agent X      write ROOT/agents/X/reports/+ and ROOT/agents/X/status,
               read ROOT/agents/X/acks
  volunteer V  write ROOT/volunteers/V/requests, read ROOT/volunteers/V/replies
  admin        write ROOT/admin/requests, read ROOT/admin/replies,
               read+write ROOT/admin/replies/+/# (MQTT 5 response topics),
               and what the dashboard reads
  dashboard    read ROOT/devices/# and ROOT/alerts/# (the coordinator's view of
               every device and its alerts: for the coordinator's staff, not
               for agents or volunteers)
  coordinator  read+write ROOT/#, and subscribe $share/GROUP/ROOT/...
               (the only account that may read reports and requests)
  bridge B     a regional Mosquitto broker's bridge (deploy/bridge/): write
               ROOT/agents/+/reports/+, ROOT/agents/+/status and
               ROOT/volunteers/+/requests of any device (the regional broker
               checks each device's own rights: docs/deployment-regions.md),
               read ROOT/agents/+/acks and ROOT/volunteers/+/replies, and what
               everyone reads; no $share, no admin topics
Nobody may subscribe to # or $SYS/#, or use $CONTROL (mosquitto_ctrl).
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 2; }

[[ $# -gt 0 ]] || { usage >&2; exit 2; }
for a in "$@"; do
    case "$a" in -h|--help) usage; exit 0 ;; esac
done

outdir=$1; shift
[[ $outdir != -* ]] || die "OUTDIR must come first (see --help)"
coordinator=coordinator dashboard=dashboard admins=admin agents='' volunteers='' bridges=''
root=outreach/v1

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --coordinator) need_arg "$@"; coordinator=$2; shift 2 ;;
        --dashboard) need_arg "$@"; dashboard=$2; shift 2 ;;
        --admins) need_arg "$@"; admins=$2; shift 2 ;;
        --agents) need_arg "$@"; agents=$2; shift 2 ;;
        --volunteers) need_arg "$@"; volunteers=$2; shift 2 ;;
        --bridges) need_arg "$@"; bridges=$2; shift 2 ;;
        --topic-root) need_arg "$@"; root=$2; shift 2 ;;
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ $root =~ ^[^/+#[:space:]]+(/[^/+#[:space:]]+)*$ ]] \
    || die "invalid --topic-root '$root' (levels separated by '/', no wildcards, no spaces)"
command -v python3 >/dev/null || die "python3 not found (apt-get install python3): it computes the password hashes"

# ---- collect accounts: role per user -----------------------------------------
declare -A role_of=()
order=()

add_account() { # ROLE USER SOURCE
    local role=$1 user=$2 src=$3
    [[ $user =~ $NAME_RE ]] \
        || die "invalid username '$user' ($src): must match $NAME_RE"
    if [[ -n ${role_of[$user]:-} ]]; then
        [[ ${role_of[$user]} == "$role" ]] \
            || die "account '$user' cannot be both ${role_of[$user]} and $role ($src)"
        return 0
    fi
    role_of[$user]=$role
    order+=("$user")
}

add_list() { # ROLE "LIST" SOURCE
    local role=$1 list=${2//,/ } src=$3 u
    local -a names
    read -r -a names <<<"$list" || true
    for u in "${names[@]}"; do add_account "$role" "$u" "$src"; done
}

manifest=$outdir/accounts
if [[ -f $manifest ]]; then
    lineno=0
    while IFS= read -r line || [[ -n $line ]]; do
        lineno=$((lineno + 1))
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        read -r r u extra <<<"$line" || true
        [[ -z ${extra:-} ]] || die "$manifest:$lineno: expected 'ROLE USER', got '$line'"
        case "$r" in
            coordinator|dashboard|admin|agent|volunteer|bridge) ;;
            *) die "$manifest:$lineno: unknown role '$r'" ;;
        esac
        add_account "$r" "${u:-}" "$manifest:$lineno"
    done <"$manifest"
fi
add_list coordinator "$coordinator" --coordinator
add_list dashboard "$dashboard" --dashboard
add_list admin "$admins" --admins
add_list agent "$agents" --agents
add_list volunteer "$volunteers" --volunteers
add_list bridge "$bridges" --bridges
[[ ${#order[@]} -gt 0 ]] || die "no accounts to provision"

# ---- secrets -----------------------------------------------------------------
tmp_dynsec='' tmp_manifest='' tmp=''
cleanup() { rm -f -- "$tmp_dynsec" "$tmp_manifest" "$tmp"; }
trap cleanup EXIT
# OUTDIR itself stays traversable: the broker account reaches OUTDIR/dynsec.
(umask 022 && mkdir -p -- "$outdir")
umask 077
mkdir -p -- "$outdir/secrets"
chmod 0700 "$outdir/secrets"

new_password() {
    local raw=''
    while [[ ${#raw} -lt $PW_LEN ]]; do
        raw+=$(head -c 256 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')
    done
    printf '%s' "${raw:0:PW_LEN}"
}

declare -A pw_of=()
created=() kept=()
for u in "${order[@]}"; do
    f=$outdir/secrets/$u.pw
    if [[ -f $f ]]; then
        pw=$(<"$f")
        [[ -n $pw && $pw != *[:[:space:]]* ]] \
            || die "secret $f is empty or holds ':' or white space; remove it to get a new password"
        chmod 0600 "$f"
        kept+=("$u")
    else
        pw=$(new_password)
        tmp=$(mktemp "$outdir/secrets/.$u.XXXXXX")
        printf '%s' "$pw" >"$tmp"
        chmod 0600 "$tmp"
        mv -f -- "$tmp" "$f"
        tmp=''
        created+=("$u")
    fi
    pw_of[$u]=$pw
done

# A shared-subscription group name for the coordinator (--share-group-file).
# No longer a safeguard: the broker lets only the coordinator subscribe to
# $share/..., so nobody else can join its group and take reports away. Kept
# (and kept on re-runs) for sites whose coordinator reads it.
share_group_file=$outdir/secrets/share-group
if [[ ! -s $share_group_file ]]; then
    tmp=$(mktemp "$outdir/secrets/.share-group.XXXXXX")
    printf 'coord-%s' "$(new_password)" >"$tmp"
    chmod 0600 "$tmp"
    mv -f -- "$tmp" "$share_group_file"
    tmp=''
fi

# ---- dynamic-security configuration ----------------------------------------
# Written by python3 from "ROLE USER PASSWORD" lines on its standard input (so
# no password is ever on a command line). Format of Mosquitto 2.0.11's plugin
# (plugins/dynamic-security/: clients.c, roles.c, auth.c, plugin.c):
#   clients[]: username, password = base64(PBKDF2-HMAC-SHA512(password, salt,
#     iterations, 64 bytes)), salt = base64(12 random bytes), iterations,
#     roles[]: {rolename}
#   roles[]: rolename, acls[]: {acltype, topic, allow, priority}; acltype is
#     publishClientSend, publishClientReceive, subscribePattern (a filter
#     checked level by level against the SUBSCRIBE's filter, "$share/G/"
#     included), unsubscribePattern
#   defaultACLAccess: what nothing matched gets. Set here because the
#     plugin only has it from this file or from a setDefaultACLAccess command.
# 2.0.11 has no %u/%c in ACL topics, so each agent and volunteer gets a role
# of its own for its own topics ("agent.X", "volunteer.V": usernames hold no
# dot, so these never clash with the shared role of a kind).
gen_dynsec() { # ROOT ITERATIONS < "ROLE USER PASSWORD" lines
    # shellcheck disable=SC2016 # a Python program: "$share" is a topic, not a shell expansion
    python3 -c '
import base64, hashlib, json, os, sys
root, iterations = sys.argv[1], int(sys.argv[2])
def acl(kind, topic):
    return {"acltype": kind, "topic": topic, "allow": True, "priority": 0}
def read(topic):   # subscribe to it and receive what is published on it
    return [acl("subscribePattern", topic), acl("publishClientReceive", topic)]
def write(topic):
    return [acl("publishClientSend", topic)]
R = root + "/"
everyone = sum((read(R + t) for t in
                ("trips/#", "progress/#", "agents/+/status", "coordinator/status")), [])
# What the coordinator staff read besides: every device and the alerts.
staff = sum((read(R + t) for t in ("devices/#", "alerts/#")), [])
roles = {
    "coordinator": read(R + "#") + write(R + "#") + [acl("subscribePattern", "$share/+/" + R + "#")],
    "admin": everyone + staff + write(R + "admin/requests") + read(R + "admin/replies")
             # MQTT 5 response topics; "+/#", not "#": only the coordinator
             # publishes on admin/replies itself.
             + read(R + "admin/replies/+/#") + write(R + "admin/replies/+/#"),
    "dashboard": everyone + staff,
    "agent": everyone,
    "volunteer": everyone,
    # The bridge of a regional broker speaks for every device of its region: the
    # regional broker has checked the rights of each device already.
    "bridge": everyone + write(R + "agents/+/reports/+") + write(R + "agents/+/status")
              + write(R + "volunteers/+/requests")
              + read(R + "agents/+/acks") + read(R + "volunteers/+/replies"),
}
clients = []
for line in sys.stdin:
    role, user, password = line.split()
    mine = []
    if role == "agent":
        mine = write(R + "agents/" + user + "/reports/+") + write(R + "agents/" + user + "/status") \
               + read(R + "agents/" + user + "/acks")
    elif role == "volunteer":
        mine = write(R + "volunteers/" + user + "/requests") + read(R + "volunteers/" + user + "/replies")
    names = [role]
    if mine:
        roles[role + "." + user] = mine
        names.append(role + "." + user)
    salt = os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    clients.append({"username": user, "textname": role,
                    "password": base64.b64encode(digest).decode(),
                    "salt": base64.b64encode(salt).decode(), "iterations": iterations,
                    "roles": [{"rolename": n, "priority": 0} for n in names]})
doc = {
    "defaultACLAccess": {"publishClientSend": False, "publishClientReceive": False,
                         "subscribe": False, "unsubscribe": True},
    "clients": clients,
    "groups": [],
    "roles": [{"rolename": n, "acls": a} for n, a in roles.items()],
}
json.dump(doc, sys.stdout, indent=1)
print()
' "$1" "$2"
}

dyndir=$outdir/dynsec
(umask 077 && mkdir -p -- "$dyndir")
chmod 0700 "$dyndir"
tmp_dynsec=$(mktemp "$dyndir/.dynsec.json.XXXXXX")
tmp_manifest=$(mktemp "$outdir/.accounts.XXXXXX")
for role in coordinator admin dashboard agent volunteer bridge; do
    for u in "${order[@]}"; do
        if [[ ${role_of[$u]} == "$role" ]]; then printf '%s %s %s\n' "$role" "$u" "${pw_of[$u]}"; fi
    done
done | gen_dynsec "$root" "$PW_ITERATIONS" >"$tmp_dynsec" \
    || die "could not write the dynamic-security configuration (python3 failed)"
{
    printf '# ROLE USER, one account a line; read back by provision-accounts.sh.\n'
    for role in coordinator admin dashboard agent volunteer bridge; do
        for u in "${order[@]}"; do
            if [[ ${role_of[$u]} == "$role" ]]; then printf '%s %s\n' "$role" "$u"; fi
        done
    done
} >"$tmp_manifest"

# dynsec.json holds password hashes: 0600, in a 0700 directory that belongs to
# the broker's account ("mosquitto" when run as root), which saves the file
# there as dynsec.json.new and renames it when an account changes.
chmod 0600 "$tmp_dynsec"
chmod 0644 "$tmp_manifest"
mv -f -- "$tmp_dynsec" "$dyndir/dynsec.json"
if [[ $(id -u) -eq 0 ]] && id -u mosquitto >/dev/null 2>&1; then
    chown -R mosquitto: "$dyndir"
fi
mv -f -- "$tmp_manifest" "$manifest"
tmp_dynsec='' tmp_manifest=''
for old in passwd acl; do
    if [[ -e $outdir/$old ]]; then
        rm -f -- "$outdir/$old"
        printf '%s: removed %s (accounts are in dynsec/dynsec.json now)\n' "$PROG" "$outdir/$old"
    fi
done

printf '%s: %d accounts in %s (%d new, %d kept)\n' \
    "$PROG" "${#order[@]}" "$outdir" "${#created[@]}" "${#kept[@]}"
if [[ ${#created[@]} -gt 0 ]]; then
    printf '%s: new: %s\n' "$PROG" "${created[*]}"
fi
