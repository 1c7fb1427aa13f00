#!/usr/bin/env bash
# Fill broker-config/mosquitto.conf.in for one site and create its data directory.
set -euo pipefail

PROG=render-config.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
    cat <<'EOF'
Usage: render-config.sh --port P --data-dir D --dynsec-file F --log-file F
                        [--user U] [--policy-plugin F] [--dynsec-plugin F]
                        [--topic-root ROOT] [--template FILE] [--out FILE]
                        [--ws-port P --http-dir D] [--no-mkdir]
                        [--max-connections N] [--open-files N]
                        [--tls-port P [--tls-address A]] [--wss-port P [--wss-address A]]
                        [--cafile F --certfile F --keyfile F]

Fills broker-config/mosquitto.conf.in (or --template) and writes the result to
FILE (atomically) or to standard output. Creates the data directory (and the log
file's directory) unless --no-mkdir; when run as root with a --user other than
root, hands the data directory to that user.

  --port P           TCP port of the loopback listener (1..65535)
  --data-dir D       persistence directory (mosquitto.db lives there)
  --dynsec-file F    the dynamic-security plugin's accounts and rights:
                     OUTDIR/dynsec/dynsec.json of deploy/provision-accounts.sh
                     (the broker must be able to write its folder)
  --policy-plugin F  outreach_policy.so, the client-id and retain rules
                     (built in BUILD/broker-plugin/; default, as installed by
                     cmake --install: /usr/local/lib/outreach/outreach_policy.so)
  --dynsec-plugin F  Mosquitto's dynamic-security plugin (default:
                     /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so,
                     from Debian's mosquitto package)
  --topic-root ROOT  topic root, as given to provision-accounts.sh
                     (default: outreach/v1)
  --log-file F       broker log file
  --user U           account the broker drops to when started as root
                     (default: mosquitto; "root" keeps root, for tests only)
  --ws-port P        also a WebSockets listener on 127.0.0.1:P (IPv4 loopback
                     only), for the browser pages (dashboard, volunteer sign-up)
  --http-dir D       folder that listener serves over HTTP (web/www after
                     'npm ci && npm run build' in web/); needs --ws-port
  --max-connections N  clients each listener takes at once (default 10000,
                     the site size bench/idle.sh measures); a client past it
                     is refused ("denied: max_connections exceeded" in the log)
  --open-files N     the broker's open-file limit, LimitNOFILE of
                     deploy/mosquitto.service.d/outreach.conf (default 65536):
                     the listeners' max_connections together, plus 1024 files
                     to spare, must fit in it (raise both for a bigger site)
  --template FILE    template to fill (default: mosquitto.conf.in beside this script)
  --out FILE         output file (default: standard output)
  --no-mkdir         do not create any directory, nor check that the plugin
                     files exist (render for another machine)

Production profile (TLS; the plain listeners above stay on loopback):
  --tls-port P       MQTT over TLS on port P (8883 is the usual) for the field
                     devices and a coordinator on another machine
  --tls-address A    bind that listener to address A only (default: every
                     interface)
  --wss-port P       MQTT over secure WebSockets on port P, every interface
                     unless --wss-address, for the pages (served over https by the site's web
                     server and opened as https://HOST/?wss_port=P: Mosquitto
                     2.0.11 cannot serve them to HTTP/2 browsers itself)
  --wss-address A    bind that listener to IPv4 address A only
  --cafile F         CA certificate(s) (PEM) of the broker's certificate chain
  --certfile F       the broker's certificate (PEM); its subjectAltName must
                     name the host the devices connect by
  --keyfile F        its private key (PEM), readable by --user
  (deploy/make-certs.sh makes all three, or use the site's own; every TLS
  listener accepts TLS 1.2 and later only)
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 2; }

tls_port='' tls_address='' wss_port='' wss_address='' cafile='' certfile='' keyfile=''
ws_port='' http_dir='' port='' data_dir='' dynsec_file='' log_file='' out=''
user=mosquitto template="$HERE/mosquitto.conf.in" mkdirs=1 topic_root=outreach/v1
max_connections=10000 open_files=65536
policy_plugin=/usr/local/lib/outreach/outreach_policy.so
dynsec_plugin=/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so

need_arg() { [[ $# -ge 2 ]] || die "option $1 needs a value"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --port) need_arg "$@"; port=$2; shift 2 ;;
        --data-dir) need_arg "$@"; data_dir=$2; shift 2 ;;
        --dynsec-file) need_arg "$@"; dynsec_file=$2; shift 2 ;;
        --policy-plugin) need_arg "$@"; policy_plugin=$2; shift 2 ;;
        --dynsec-plugin) need_arg "$@"; dynsec_plugin=$2; shift 2 ;;
        --topic-root) need_arg "$@"; topic_root=$2; shift 2 ;;
        --password-file|--acl-file)
            die "$1 is gone: accounts and rights are in the dynamic-security file now (--dynsec-file OUTDIR/dynsec/dynsec.json, see --help)" ;;
        --log-file) need_arg "$@"; log_file=$2; shift 2 ;;
        --user) need_arg "$@"; user=$2; shift 2 ;;
        --ws-port) need_arg "$@"; ws_port=$2; shift 2 ;;
        --http-dir) need_arg "$@"; http_dir=$2; shift 2 ;;
        --template) need_arg "$@"; template=$2; shift 2 ;;
        --max-connections) need_arg "$@"; max_connections=$2; shift 2 ;;
        --open-files) need_arg "$@"; open_files=$2; shift 2 ;;
        --out) need_arg "$@"; out=$2; shift 2 ;;
        --no-mkdir) mkdirs=0; shift ;;
        --tls-port) need_arg "$@"; tls_port=$2; shift 2 ;;
        --tls-address) need_arg "$@"; tls_address=$2; shift 2 ;;
        --wss-port) need_arg "$@"; wss_port=$2; shift 2 ;;
        --wss-address) need_arg "$@"; wss_address=$2; shift 2 ;;
        --cafile) need_arg "$@"; cafile=$2; shift 2 ;;
        --certfile) need_arg "$@"; certfile=$2; shift 2 ;;
        --keyfile) need_arg "$@"; keyfile=$2; shift 2 ;;
        --*=*) opt=${1%%=*}; val=${1#*=}; shift; set -- "$opt" "$val" "$@" ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ -n $port ]] || die "--port is required"
[[ -n $data_dir ]] || die "--data-dir is required"
[[ -n $dynsec_file ]] || die "--dynsec-file is required (OUTDIR/dynsec/dynsec.json of deploy/provision-accounts.sh)"
[[ -n $log_file ]] || die "--log-file is required"
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || (( 10#$port < 1 || 10#$port > 65535 )); then
    die "--port must be a number from 1 to 65535, not '$port'"
fi
port=$((10#$port))
if [[ -n $ws_port || -n $http_dir ]]; then
    [[ -n $ws_port && -n $http_dir ]] || die "--ws-port and --http-dir go together"
    if ! [[ $ws_port =~ ^[0-9]{1,5}$ ]] || (( 10#$ws_port < 1 || 10#$ws_port > 65535 )); then
        die "--ws-port must be a number from 1 to 65535, not '$ws_port'"
    fi
    ws_port=$((10#$ws_port))
    (( ws_port != port )) || die "--ws-port must differ from --port"
    [[ $http_dir != *[[:space:]]* ]] || die "--http-dir '$http_dir' must not contain white space"
    [[ $http_dir == /* ]] || die "--http-dir '$http_dir' must be an absolute path"
    [[ -d $http_dir ]] || die "--http-dir '$http_dir' is not a directory"
fi
# TLS listeners: ports distinct from the others, and the three PEM files.
tls_exprs=(-e '/^#@TLS /d' -e '/^#@WSS /d' -e '/^#@WSSADDR /d')
tls_files=0
if [[ -n $tls_port || -n $wss_port ]]; then
    used=" $port ${ws_port:+$ws_port }"
    for pair in "--tls-port=$tls_port" "--wss-port=$wss_port"; do
        name=${pair%%=*} val=${pair#*=}
        [[ -n $val ]] || continue
        if ! [[ $val =~ ^[0-9]{1,5}$ ]] || (( 10#$val < 1 || 10#$val > 65535 )); then
            die "$name must be a number from 1 to 65535, not '$val'"
        fi
        val=$((10#$val))
        [[ $used != *" $val "* ]] || die "$name $val is already the port of another listener"
        used+="$val "
    done
    for pair in "cafile=$cafile" "certfile=$certfile" "keyfile=$keyfile"; do
        name=${pair%%=*} val=${pair#*=}
        [[ -n $val ]] || die "--tls-port and --wss-port need --cafile, --certfile and --keyfile"
        [[ $val != *[[:space:]]* ]] || die "--$name '$val' must not contain white space"
        [[ $val == /* ]] || die "--$name '$val' must be an absolute path"
        (( ! mkdirs )) || [[ -r $val ]] || die "--$name '$val' is not a readable file"
    done
    tls_exprs=()
    if [[ -n $tls_port ]]; then
        listen=$((10#$tls_port))
        if [[ -n $tls_address ]]; then
            [[ $tls_address =~ ^[0-9A-Za-z.:-]+$ ]] \
                || die "--tls-address '$tls_address' is not an address or host name"
            listen+=" $tls_address"
        fi
        tls_exprs+=(-e 's/^#@TLS //' -e "s|@TLS_LISTEN@|$listen|g")
    else
        [[ -z $tls_address ]] || die "--tls-address goes with --tls-port"
    fi
    if [[ -n $wss_port ]]; then
        listen=$((10#$wss_port))
        if [[ -n $wss_address ]]; then
            [[ $wss_address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] \
                || die "--wss-address '$wss_address' must be an IPv4 address (libwebsockets binds no other)"
            listen+=" $wss_address"
            tls_exprs+=(-e 's/^#@WSSADDR //')
        fi
        tls_exprs+=(-e 's/^#@WSS //' -e "s|@WSS_LISTEN@|$listen|g")
    else
        [[ -z $wss_address ]] || die "--wss-address goes with --wss-port"
    fi
    tls_exprs+=(-e '/^#@TLS /d' -e '/^#@WSS /d' -e '/^#@WSSADDR /d')
    tls_files=1
else
    [[ -z $cafile && -z $certfile && -z $keyfile && -z $tls_address && -z $wss_address ]] \
        || die "--cafile, --certfile, --keyfile, --tls-address and --wss-address need --tls-port or --wss-port"
fi
[[ $user =~ ^[a-z_][a-z0-9_-]*$ ]] || die "--user '$user' is not a valid account name"
# Every listener may hold max_connections sockets, and the broker needs some
# files of its own (persistence, log, plugins, libwrap's /etc/hosts.allow on
# every accept): past the open-file limit clients are refused "by tcpd".
if ! [[ $max_connections =~ ^[0-9]{1,7}$ ]] || (( 10#$max_connections < 1 )); then
    die "--max-connections must be a number of clients from 1 up, not '$max_connections'"
fi
if ! [[ $open_files =~ ^[0-9]{1,8}$ ]] || (( 10#$open_files < 1024 )); then
    die "--open-files must be a number from 1024 up (the broker's LimitNOFILE), not '$open_files'"
fi
max_connections=$((10#$max_connections)) open_files=$((10#$open_files))
listeners=$(( 1 + (${#ws_port} > 0) + (${#tls_port} > 0) + (${#wss_port} > 0) ))
if (( listeners * max_connections + 1024 > open_files )); then
    die "--max-connections $max_connections on $listeners listener(s) needs $((listeners * max_connections + 1024)) open files, more than --open-files $open_files: lower --max-connections, or raise LimitNOFILE in the broker's unit (deploy/mosquitto.service.d/outreach.conf) and pass it as --open-files"
fi
[[ -r $template ]] || die "template '$template' not readable"

# Mosquitto reads a value up to the end of the line; keep paths simple.
for pair in "data-dir=$data_dir" "dynsec-file=$dynsec_file" "log-file=$log_file" \
            "policy-plugin=$policy_plugin" "dynsec-plugin=$dynsec_plugin"; do
    name=${pair%%=*} val=${pair#*=}
    [[ $val != *[[:space:]]* ]] || die "--$name '$val' must not contain white space"
    [[ $val == /* ]] || die "--$name '$val' must be an absolute path"
done
[[ $topic_root =~ ^[^/+#[:space:]]+(/[^/+#[:space:]]+)*$ ]] \
    || die "invalid --topic-root '$topic_root' (levels separated by '/', no wildcards, no spaces)"
if (( mkdirs )); then
    [[ -f $policy_plugin ]] || die "--policy-plugin '$policy_plugin' not found: build it (cmake --build BUILD, then BUILD/broker-plugin/outreach_policy.so) or install it (cmake --install BUILD)"
    [[ -f $dynsec_plugin ]] || die "--dynsec-plugin '$dynsec_plugin' not found: apt-get install mosquitto (dpkg -L mosquitto | grep dynamic_security)"
fi
# persistence_location gets exactly one trailing slash from the template.
while [[ $data_dir == */ && $data_dir != / ]]; do data_dir=${data_dir%/}; done

# Escape for the replacement side of sed s|...|...|.
esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

# Lines "#@WS ..." are the WebSockets listener: kept (without the marker)
# only when --ws-port is given.
if [[ -n $ws_port ]]; then ws_expr='s/^#@WS //'; else ws_expr='/^#@WS /d'; fi
if (( tls_files )); then
    tls_exprs+=(-e "s|@CAFILE@|$(esc "$cafile")|g" -e "s|@CERTFILE@|$(esc "$certfile")|g"
                -e "s|@KEYFILE@|$(esc "$keyfile")|g")
fi
rendered=$(sed -e "$ws_expr" "${tls_exprs[@]}" -e '/^#@/d' \
    -e "s|@WS_PORT@|$(esc "$ws_port")|g" \
    -e "s|@HTTP_DIR@|$(esc "$http_dir")|g" \
    -e "s|@PORT@|$(esc "$port")|g" \
    -e "s|@DATA_DIR@|$(esc "$data_dir")|g" \
    -e "s|@DYNSEC_FILE@|$(esc "$dynsec_file")|g" \
    -e "s|@POLICY_PLUGIN@|$(esc "$policy_plugin")|g" \
    -e "s|@DYNSEC_PLUGIN@|$(esc "$dynsec_plugin")|g" \
    -e "s|@TOPIC_ROOT@|$(esc "$topic_root")|g" \
    -e "s|@LOG_FILE@|$(esc "$log_file")|g" \
    -e "s|@USER@|$(esc "$user")|g" \
    -e "s|@MAX_CONNECTIONS@|$max_connections|g" \
    -e "s|@OPEN_FILES@|$open_files|g" \
    "$template")
if left=$(grep -o '@[A-Z_]*@' <<<"$rendered" | sort -u | tr '\n' ' ') && [[ -n $left ]]; then
    die "template has placeholders this script does not know: $left"
fi

if (( mkdirs )); then
    mkdir -p -- "$data_dir" "$(dirname -- "$log_file")"
    if [[ $(id -u) -eq 0 && $user != root ]] && id -u "$user" >/dev/null 2>&1; then
        chown -- "$user:" "$data_dir"
    fi
fi

if [[ -n $out ]]; then
    tmp=$(mktemp "$(dirname -- "$out")/.$(basename -- "$out").XXXXXX")
    printf '%s\n' "$rendered" >"$tmp"
    chmod 0644 "$tmp"
    mv -f -- "$tmp" "$out"
else
    printf '%s\n' "$rendered"
fi
