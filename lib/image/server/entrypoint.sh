#!/bin/sh
# The debug-cloud reference server's PID 1: serves HTTP on $PORT (default 8080), one handle.sh per connection
# (busybox nc -ll forks it with the socket as stdin/stdout and this process's stderr as the log).
# It traps TERM so that `docker stop` ends it at once (a PID 1 without a handler ignores TERM).
# The contract it implements: docs/spec.md#the-debug-server-contract.
port=${PORT:-8080}
state() { if [ -n "$1" ]; then echo set; else echo unset; fi; }
echo "start server=debug-cloud-reference version=$REFERENCE_SERVER_VERSION port=$port" \
	"api_token=$(state "$DEBUG_SERVER_API_TOKEN") runner_token=$(state "$DEBUG_SERVER_RUNNER_TOKEN")" >&2
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
nc -ll -p "$port" -e /srv/handle.sh &
pid=$!
wait "$pid"
