#!/bin/sh
# One HTTP request of the debug-cloud reference server: the request on stdin, the response on stdout (the
# socket, from nc -e), exactly one log line on stderr: `request method=<M> path=<P> status=<N>`. The query string
# and every header are left out of the log; a path containing a configured token is logged as <redacted>.
#
#   GET /healthz            200 `ok`, no authentication
#   /api/...                401 unless `Authorization: Bearer $DEBUG_SERVER_API_TOKEN`; GET /api/v1/status 200
#   /runner/...             401 unless `Authorization: Bearer $DEBUG_SERVER_RUNNER_TOKEN`; GET /runner/v1/status 200
#
# An empty or unset token variable means 401 for every request to its prefix: never open.
CR=$'\r'
# A client that hangs up early makes writes fail instead of killing the handler before it logs.
trap '' PIPE
method=- logpath=- auth= auths=0 length=0

log() { printf 'request method=%s path=%s status=%s\n' "$method" "$logpath" "$1" >&2; }

# respond STATUS REASON CONTENT-TYPE BODY [HEADER]: write the response, log it, end the connection.
respond() {
	printf 'HTTP/1.1 %s %s\r\nContent-Type: %s\r\nContent-Length: %s\r\nCache-Control: no-store\r\nConnection: close\r\n' \
		"$1" "$2" "$3" "${#4}"
	[ -z "$5" ] || printf '%s\r\n' "$5"
	printf '\r\n'
	[ "$method" = HEAD ] || printf '%s' "$4"
	log "$1"
	exit 0
}
fail() { respond "$1" "$2" application/json "{\"ok\":false,\"error\":\"$3\"}" "$4"; }
bad() { fail 400 'Bad Request' "$1"; }

# The request line. A connection that closes (or stays silent for 10 s) before sending one is not a request.
IFS= read -r -t 10 line || [ -n "$line" ] || exit 0
line=${line%"$CR"}
m=${line%% *} rest=${line#* }
target=${rest%% *} proto=${rest#* }
case $m in '' | *[!A-Z]*) bad 'bad request line' ;; esac
case $proto in HTTP/1.0 | HTTP/1.1) ;; *) bad 'bad request line' ;; esac
case $target in /*) ;; *) bad 'bad request line' ;; esac
# Only the characters RFC 3986 allows in a path and query, so nothing else can reach the log.
case $target in *[!A-Za-z0-9._~%/:@!\$\&\'\(\)*+,\;=?-]*) bad 'bad request line' ;; esac
[ "${#m}" -le 16 ] || bad 'bad request line'
[ "${#target}" -le 2048 ] || fail 414 'URI Too Long' 'uri too long'
method=$m path=${target%%\?*} logpath=${target%%\?*}
for secret in "$DEBUG_SERVER_API_TOKEN" "$DEBUG_SERVER_RUNNER_TOKEN"; do
	[ -n "$secret" ] && case $path in *"$secret"*) logpath='<redacted>' ;; esac
done

# The headers: only Authorization and Content-Length matter.
n=0
while :; do
	IFS= read -r -t 10 h || fail 408 'Request Timeout' 'request timeout'
	h=${h%"$CR"}
	[ -n "$h" ] || break
	n=$((n + 1))
	[ "$n" -le 64 ] || fail 431 'Request Header Fields Too Large' 'too many headers'
	v=${h#*:}
	v=${v#"${v%%[! 	]*}"}
	case ${h%%:*} in
	[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]) auth=$v auths=$((auths + 1)) ;;
	[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Ll][Ee][Nn][Gg][Tt][Hh]) length=$v ;;
	[Tt][Rr][Aa][Nn][Ss][Ff][Ee][Rr]-[Ee][Nn][Cc][Oo][Dd][Ii][Nn][Gg]) fail 501 'Not Implemented' 'chunked bodies are not supported' ;;
	esac
done
# A body is read and dropped: closing a socket with unread input resets it before the client reads the answer.
case $length in '' | *[!0-9]*) bad 'bad content-length' ;; esac
[ "${#length}" -le 6 ] && [ "$length" -le 65536 ] || fail 413 'Content Too Large' 'body too large'
[ "$length" -eq 0 ] || head -c "$length" >/dev/null

# sh has no constant-time comparison: compare SHA-256 digests instead, so the time `=` takes depends on how
# many leading digest characters match, which tells nothing about the token itself.
digest() { printf '%s' "$1" | sha256sum; }
# authorized EXPECTED: exactly one `Authorization: Bearer <token>` header whose token is EXPECTED (non-empty).
authorized() {
	[ -n "$1" ] && [ "$auths" -eq 1 ] || return 1
	case $auth in [Bb][Ee][Aa][Rr][Ee][Rr][' 	']*) ;; *) return 1 ;; esac
	given=${auth#??????}
	given=${given#"${given%%[! 	]*}"}
	given=${given%"${given##*[! 	]}"}
	[ -n "$given" ] && [ "$(digest "$given")" = "$(digest "$1")" ]
}
get_only() {
	case $method in GET | HEAD) ;; *) fail 405 'Method Not Allowed' 'method not allowed' 'Allow: GET, HEAD' ;; esac
}
status() {
	respond 200 OK application/json \
		"{\"ok\":true,\"role\":\"$1\",\"server\":\"debug-cloud-reference\",\"version\":\"$REFERENCE_SERVER_VERSION\"}"
}
challenge='WWW-Authenticate: Bearer realm="debug-server"'

case $path in
/healthz) get_only && respond 200 OK 'text/plain; charset=utf-8' ok ;;
/api | /api/*)
	authorized "$DEBUG_SERVER_API_TOKEN" || fail 401 Unauthorized unauthorized "$challenge"
	[ "$path" = /api/v1/status ] || fail 404 'Not Found' 'not found'
	get_only && status api
	;;
/runner | /runner/*)
	authorized "$DEBUG_SERVER_RUNNER_TOKEN" || fail 401 Unauthorized unauthorized "$challenge"
	[ "$path" = /runner/v1/status ] || fail 404 'Not Found' 'not found'
	get_only && status runner
	;;
*) fail 404 'Not Found' 'not found' ;;
esac
