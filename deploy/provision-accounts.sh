#!/usr/bin/env bash
# Create or update the broker accounts of one outreach site: password file,
# per-account secrets and the generated ACL. See --help.
set -euo pipefail

PROG=provision-accounts.sh
NAME_RE='^[a-z0-9][a-z0-9_-]{0,63}$'
PW_LEN=32

usage() {
    cat <<'EOF'
Usage: provision-accounts.sh OUTDIR [options]

Creates or updates, in OUTDIR:
  passwd             mosquitto password file (hashed, via mosquitto_passwd -b)
  secrets/USER.pw    each account's password in clear (mode 0600, no newline):
                     hand it to the device or service that logs in as USER
  acl                mosquitto acl_file, generated: do not edit by hand
  accounts           the account list, one "ROLE USER" per line
  secrets/share-group  the coordinator's shared-subscription group name (random,
                     kept on re-runs): subscribe as $share/GROUP/... with it, as
                     the broker does not stop other accounts joining a group

Options (lists are space- or comma-separated):
  --coordinator NAME     coordinator account            (default: coordinator)
  --dashboard NAME       read-only dashboard account    (default: dashboard)
  --admins "A B ..."     coordinator staff accounts     (default: admin)
  --agents "A B ..."     field agent accounts, e.g. "team-01 team-02"
  --volunteers "V ..."   volunteer accounts, e.g. "vol-01 vol-02"
  --topic-root ROOT      topic root                     (default: outreach/v1)
  -h, --help             this text

Re-running is safe: the accounts already listed in OUTDIR/accounts are kept
with their passwords (read back from OUTDIR/secrets), the named ones are
added, and passwd and acl are written anew. To remove an account, delete its
line from OUTDIR/accounts and its secret, then re-run. An account keeps one
role: naming it with another role is an error.

Usernames must match ^[a-z0-9][a-z0-9_-]{0,63}$ (PROTOCOL.md identifiers).
Passwords are 32 random letters and digits from /dev/urandom.
Rights (ROOT = outreach/v1):
  everyone     read ROOT/trips/#, ROOT/progress/#, ROOT/agents/+/status,
               ROOT/coordinator/status
  agent X      write ROOT/agents/X/reports/+ and ROOT/agents/X/status,
               read ROOT/agents/X/acks
  volunteer V  write ROOT/volunteers/V/requests, read ROOT/volunteers/V/replies
  admin        write ROOT/admin/requests, read ROOT/admin/replies,
               read+write ROOT/admin/replies/+/# (MQTT 5 response topics)
  dashboard    nothing more
  coordinator  read+write ROOT/#
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 2; }

[[ $# -gt 0 ]] || { usage >&2; exit 2; }
for a in "$@"; do
    case "$a" in -h|--help) usage; exit 0 ;; esac
done

outdir=$1; shift
[[ $outdir != -* ]] || die "OUTDIR must come first (see --help)"
coordinator=coordinator dashboard=dashboard admins=admin agents='' volunteers=''
root=outreach/v1

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
        --coordinator) need_arg "$@"; coordinator=$2; shift 2 ;;
        --dashboard) need_arg "$@"; dashboard=$2; shift 2 ;;
        --admins) need_arg "$@"; admins=$2; shift 2 ;;
        --agents) need_arg "$@"; agents=$2; shift 2 ;;
        --volunteers) need_arg "$@"; volunteers=$2; shift 2 ;;
        --topic-root) need_arg "$@"; root=$2; shift 2 ;;
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ $root =~ ^[^/+#[:space:]]+(/[^/+#[:space:]]+)*$ ]] \
    || die "invalid --topic-root '$root' (levels separated by '/', no wildcards, no spaces)"
command -v mosquitto_passwd >/dev/null || die "mosquitto_passwd not found (apt-get install mosquitto)"

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
            coordinator|dashboard|admin|agent|volunteer) ;;
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
[[ ${#order[@]} -gt 0 ]] || die "no accounts to provision"

# ---- secrets -----------------------------------------------------------------
tmp_passwd='' tmp_acl='' tmp_manifest='' tmp=''
cleanup() { rm -f -- "$tmp_passwd" "$tmp_acl" "$tmp_manifest" "$tmp"; }
trap cleanup EXIT
# OUTDIR itself stays traversable: the broker account reads passwd and acl there.
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

# The coordinator's shared-subscription group name. Mosquitto 2.0's acl_file
# does not check SUBSCRIBE: any account may join any "$share/GROUP/..." and, as
# the broker hands each message to one member and then drops it if that
# member may not read it, an intruder in the coordinator's group would make it
# lose reports. A group name nobody can guess keeps the group closed.
share_group_file=$outdir/secrets/share-group
if [[ ! -s $share_group_file ]]; then
    tmp=$(mktemp "$outdir/secrets/.share-group.XXXXXX")
    printf 'coord-%s' "$(new_password)" >"$tmp"
    chmod 0600 "$tmp"
    mv -f -- "$tmp" "$share_group_file"
    tmp=''
fi

# ---- password file (rebuilt from the secrets, then swapped in) ---------------
tmp_passwd=$(mktemp "$outdir/.passwd.XXXXXX")
first=1
for u in "${order[@]}"; do
    if (( first )); then
        mosquitto_passwd -c -b "$tmp_passwd" "$u" "${pw_of[$u]}" >/dev/null
        first=0
    else
        mosquitto_passwd -b "$tmp_passwd" "$u" "${pw_of[$u]}" >/dev/null
    fi
done

# ---- ACL -------------------------------------------------------------------
# Only "user" sections: a "pattern" line applies to every account (and
# mosquitto 2.0 warns about patterns without %u/%c), so role rights must not
# be patterns, or a volunteer named like an agent would get the agent's rights.
common_reads() {
    printf 'topic read %s/trips/#\n' "$root"
    printf 'topic read %s/progress/#\n' "$root"
    printf 'topic read %s/agents/+/status\n' "$root"
    printf 'topic read %s/coordinator/status\n' "$root"
}

acl_section() { # ROLE USER
    local role=$1 u=$2
    printf '\n# %s\nuser %s\n' "$role" "$u"
    case "$role" in
        coordinator)
            printf 'topic readwrite %s/#\n' "$root"
            ;;
        agent)
            common_reads
            printf 'topic write %s/agents/%s/reports/+\n' "$root" "$u"
            printf 'topic write %s/agents/%s/status\n' "$root" "$u"
            printf 'topic read %s/agents/%s/acks\n' "$root" "$u"
            ;;
        volunteer)
            common_reads
            printf 'topic write %s/volunteers/%s/requests\n' "$root" "$u"
            printf 'topic read %s/volunteers/%s/replies\n' "$root" "$u"
            ;;
        admin)
            common_reads
            printf 'topic write %s/admin/requests\n' "$root"
            printf 'topic read %s/admin/replies\n' "$root"
            # MQTT 5 response topics below the fixed replies topic; "+/#"
            # (not "#") so that admins cannot publish on admin/replies itself.
            printf 'topic readwrite %s/admin/replies/+/#\n' "$root"
            ;;
        dashboard)
            common_reads
            ;;
    esac
}

tmp_acl=$(mktemp "$outdir/.acl.XXXXXX")
tmp_manifest=$(mktemp "$outdir/.accounts.XXXXXX")
{
    printf '# Generated by deploy/provision-accounts.sh: do not edit, re-run it.\n'
    printf '# Topic root: %s. No topic lines before the first "user" line: anonymous\n' "$root"
    printf '# clients (refused anyway: allow_anonymous false) get no rights.\n'
    for role in coordinator admin dashboard agent volunteer; do
        for u in "${order[@]}"; do
            if [[ ${role_of[$u]} == "$role" ]]; then acl_section "$role" "$u"; fi
        done
    done
} >"$tmp_acl"
{
    printf '# ROLE USER, one account a line; read back by provision-accounts.sh.\n'
    for role in coordinator admin dashboard agent volunteer; do
        for u in "${order[@]}"; do
            if [[ ${role_of[$u]} == "$role" ]]; then printf '%s %s\n' "$role" "$u"; fi
        done
    done
} >"$tmp_manifest"

# The broker (which drops to the "mosquitto" account) must read passwd and acl.
chmod 0640 "$tmp_passwd" "$tmp_acl"
chmod 0644 "$tmp_manifest"
if [[ $(id -u) -eq 0 ]] && getent group mosquitto >/dev/null 2>&1; then
    chgrp mosquitto "$tmp_passwd" "$tmp_acl"
fi
mv -f -- "$tmp_passwd" "$outdir/passwd"
mv -f -- "$tmp_acl" "$outdir/acl"
mv -f -- "$tmp_manifest" "$manifest"

printf '%s: %d accounts in %s (%d new, %d kept)\n' \
    "$PROG" "${#order[@]}" "$outdir" "${#created[@]}" "${#kept[@]}"
if [[ ${#created[@]} -gt 0 ]]; then
    printf '%s: new: %s\n' "$PROG" "${created[*]}"
fi
