#!/usr/bin/env bash
# notify.sh - the outcome webhook (--notify-url, README "Outcome webhook"): a local receiver
# (tests/lib/httpstub.py) records what dbready POSTs; the JSON is checked against the
# documented shape, Slack's text + blocks too; a failing receiver is logged and changes no
# exit code, unless --notify-required (exit 10; a failed run keeps its own code); retries are
# bounded; the URL from a _FILE is a secret (its path never printed); no secret in any payload
# (the receivers' logs live in out/, which the canary scan covers).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/httpstub.sh"

pg_start main || true
pg_create_app main || true
DB_URL=$(pg_url app "$CANARY" app "" sslmode=disable)
REFUSED=$(free_port)
H=127.0.0.1
MIG=$T/migrations
mkdir -p "$MIG"
echo 'CREATE TABLE notify_a (id int);' >"$MIG/0001_init.sql"
echo 'CREATE TABLE notify_b (id int);' >"$MIG/0002_users.sql"

# payload_check NAME LOG FORMAT [KEY=JSON...]: the last request in LOG is a POST of
# application/json from dbready/<version> whose body has the documented shape (FORMAT json
# or slack) and, for json, each top-level KEY equal to the JSON value given.
payload_check() {
	local name=$1 log=$2 format=$3
	shift 3
	local out
	if out=$(python3 - "$log" "$format" "$CANARY" "$@" 2>&1 <<-'PY'
		import json, re, sys
		log, fmt, canary, want = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
		reqs = [json.loads(l) for l in open(log) if l.strip()]
		if not reqs:
		    sys.exit("no request recorded")
		r = reqs[-1]
		errs = []
		def err(m): errs.append(m)
		if r["method"] != "POST": err("method %s" % r["method"])
		if r["headers"].get("content-type") != "application/json": err("content-type %r" % r["headers"].get("content-type"))
		if not r["headers"].get("user-agent", "").startswith("dbready/"): err("user-agent %r" % r["headers"].get("user-agent"))
		# (the path may hold it: a secret webhook URL's receiver)
		if canary in r["body"] + json.dumps(r["headers"]): err("the canary is in the request")
		doc = json.loads(r["body"])
		TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
		def is_int(v): return isinstance(v, int) and not isinstance(v, bool)
		if fmt == "json":
		    need = {"source": str, "version": str, "command": str, "outcome": str, "exit_code": int,
		            "message": str, "host": str, "started_at": str, "finished_at": str, "duration_ms": int}
		    allowed = set(need) | {"database", "pod", "migrations"}
		    for k, t in need.items():
		        if k not in doc: err("missing %s" % k)
		        elif not isinstance(doc[k], t) or isinstance(doc[k], bool): err("%s is not %s" % (k, t.__name__))
		    for k in doc:
		        if k not in allowed: err("unexpected key %s" % k)
		    if doc.get("source") != "dbready": err("source %r" % doc.get("source"))
		    if doc.get("outcome") not in ("ok", "error", "stopped"): err("outcome %r" % doc.get("outcome"))
		    ec = doc.get("exit_code")
		    if doc.get("outcome") != ("ok" if ec == 0 else "stopped" if ec > 128 else "error"): err("outcome vs exit_code")
		    for k in ("started_at", "finished_at"):
		        if not TS.match(str(doc.get(k))): err("%s %r is not RFC 3339 UTC" % (k, doc.get(k)))
		    if str(doc.get("started_at")) > str(doc.get("finished_at")): err("started after it finished")
		    if "database" in doc and ":***@" not in doc["database"]: err("database not redacted: %r" % doc["database"])
		    if "pod" in doc and not (isinstance(doc["pod"], dict) and set(doc["pod"]) <= {"name", "namespace"}): err("pod %r" % doc["pod"])
		    if "migrations" in doc:
		        m = doc["migrations"]
		        if set(m) != {"applied", "pending"}: err("migrations keys %s" % sorted(m))
		        for a in m.get("applied", []):
		            if set(a) != {"name", "duration_ms"} or not isinstance(a["name"], str) or not (a["duration_ms"] is None or is_int(a["duration_ms"])):
		                err("applied entry %r" % a)
		        if not all(isinstance(p, str) for p in m.get("pending", [])): err("pending %r" % m.get("pending"))
		    for w in want:
		        k, v = w.split("=", 1)
		        got = doc
		        for part in k.split("."):
		            got = got.get(part) if isinstance(got, dict) else None
		        if k.endswith("?"):
		            continue
		        if got != json.loads(v): err("%s = %r, want %s" % (k, got, v))
		else:
		    if not isinstance(doc.get("text"), str) or not doc["text"]: err("text missing")
		    blocks = doc.get("blocks")
		    if not isinstance(blocks, list) or not blocks: err("blocks missing")
		    for b in blocks or []:
		        if b.get("type") not in ("section", "context"): err("block type %r" % b.get("type"))
		        if b.get("type") == "section":
		            if "text" in b and b["text"].get("type") != "mrkdwn": err("section text not mrkdwn")
		            for f in b.get("fields", []):
		                if f.get("type") != "mrkdwn" or len(f.get("text", "")) > 2000: err("field %r" % f)
		            if "text" not in b and "fields" not in b: err("empty section")
		        if b.get("type") == "context" and not b.get("elements"): err("context without elements")
		    for w in want:
		        k, v = w.split("=", 1)
		        if k == "text~" and v not in doc.get("text", ""): err("text lacks %r" % v)
		if errs:
		    print("\n".join(errs))
		    print("body: " + r["body"][:1500].replace(canary, "<canary>"))
		    sys.exit(1)
		PY
	); then
		pass "$name"
	else
		fail "$name" "$out"
		diag_run
	fi
}

# --- a successful run: the documented JSON ------------------------------------------------
httpstub_start ok --route /hook=200 || true
OK=$STUB_PORT OK_LOG=$STUB_LOG
HOSTNAME=web-1 POD_NAME=web-1 POD_NAMESPACE=shop run_dbready "notify: run, JSON" 0 run \
	--url "$DB_URL" --dir "$MIG" --timeout 10s --notify-url "http://$H:$OK/hook"
assert_contains "$RUN_ERR" "outcome posted to http://$H:$OK/*** (HTTP 200)"
check "notify: run, JSON: one POST" test "$(stub_requests "$OK_LOG" /hook)" -eq 1
payload_check "notify: run, JSON: the documented shape" "$OK_LOG" json \
	'command="run"' 'outcome="ok"' 'exit_code=0' 'host="web-1"' \
	'pod={"name": "web-1", "namespace": "shop"}' 'migrations.pending=[]' \
	"database=\"postgres://app:***@$H:$(pg_port main)/app?sslmode=disable\""
check "notify: run, JSON: applied migrations with durations" python3 -c '
import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.strip()][-1])["body"]
a = json.loads(d)["migrations"]["applied"]
assert [m["name"] for m in a] == ["0001_init", "0002_users"], a
assert all(isinstance(m["duration_ms"], int) and m["duration_ms"] >= 0 for m in a), a' "$OK_LOG"
assert_contains "$OK_LOG" '\"message\":\"ok: applied 2 migrations (0001_init..0002_users) in ' 

# nothing pending on the second run; DBREADY_NOTIFY_URL, no pod outside Kubernetes
DBREADY_NOTIFY_URL="http://$H:$OK/hook" run_dbready "notify: DBREADY_NOTIFY_URL" 0 run \
	--url "$DB_URL" --dir "$MIG" --timeout 10s
payload_check "notify: DBREADY_NOTIFY_URL: shape" "$OK_LOG" json 'migrations.applied=[]' \
	'migrations.pending=[]'
check "notify: no pod without POD_NAME/POD_NAMESPACE" python3 -c '
import json, sys
d = json.loads(json.loads([l for l in open(sys.argv[1]) if l.strip()][-1])["body"])
assert "pod" not in d, d' "$OK_LOG"

# pending ones are listed: await against a folder with one more file
cp -r "$MIG" "$T/mig3" && echo 'CREATE TABLE notify_c (id int);' >"$T/mig3/0003_more.sql"
run_dbready "notify: await, one pending at the deadline" 9 await --url "$DB_URL" --dir "$T/mig3" \
	--timeout 1s --notify-url "http://$H:$OK/hook"
payload_check "notify: await: exit 9 and the pending one" "$OK_LOG" json 'command="await"' \
	'outcome="error"' 'exit_code=9' 'migrations.pending=["0003_more"]' 'migrations.applied=[]'

# wait has no migrations key
run_dbready "notify: wait" 0 wait --url "$DB_URL" --timeout 10s --notify-url "http://$H:$OK/hook"
payload_check "notify: wait: shape" "$OK_LOG" json 'command="wait"' 'outcome="ok"'
check "notify: wait: no migrations key" python3 -c '
import json, sys
d = json.loads(json.loads([l for l in open(sys.argv[1]) if l.strip()][-1])["body"])
assert "migrations" not in d, d' "$OK_LOG"

# check, status and probe post nothing (probes run every few seconds)
before=$(stub_requests "$OK_LOG")
run_dbready "notify: check posts nothing" 0 check --url "$DB_URL" --dir "$MIG" --notify-url "http://$H:$OK/hook"
run_dbready "notify: status posts nothing" 0 status --url "$DB_URL" --dir "$MIG" --notify-url "http://$H:$OK/hook"
run_dbready "notify: probe posts nothing" 0 probe --url "$DB_URL" --dir "$MIG" --notify-url "http://$H:$OK/hook"
check "notify: check, status, probe: no request" test "$(stub_requests "$OK_LOG")" -eq "$before"

# --- failed runs are posted with their own code -------------------------------------------
BAD_DB="postgres://app:$CANARY@$H:$REFUSED/app?sslmode=disable"
run_dbready "notify: database unreachable" 4 wait --url "$BAD_DB" --timeout 1s \
	--notify-url "http://$H:$OK/hook"
payload_check "notify: unreachable: exit 4" "$OK_LOG" json 'outcome="error"' 'exit_code=4'
assert_contains "$OK_LOG" 'error (exit 4): database not reachable'
run_dbready "notify: configuration error" 3 run --dir "$MIG" --notify-url "http://$H:$OK/hook"
payload_check "notify: configuration error: exit 3, no database" "$OK_LOG" json 'exit_code=3' \
	'command="run"'
run_dbready "notify: dependency down" 10 wait --url "$DB_URL" --timeout 1s \
	--wait-for "tcp://$H:$REFUSED" --notify-url "http://$H:$OK/hook"
payload_check "notify: dependency down: exit 10" "$OK_LOG" json 'exit_code=10'
assert_contains "$OK_LOG" "not ready: tcp://$H:$REFUSED"
start_dbready "notify: SIGTERM" wait --url "$BAD_DB" --timeout 60s --notify-url "http://$H:$OK/hook"
sleep 1
kill -TERM "$RUN_PID"
finish_dbready 143 20
payload_check "notify: SIGTERM: outcome stopped" "$OK_LOG" json 'outcome="stopped"' 'exit_code=143'

# --- Slack ---------------------------------------------------------------------------------
httpstub_start slack --route /services/T0/B0/x=200 || true
run_dbready "notify: Slack format" 0 run --url "$DB_URL" --dir "$MIG" --timeout 10s \
	--notify-url "http://$H:$STUB_PORT/services/T0/B0/x" --notify-format slack
payload_check "notify: Slack: text and blocks" "$STUB_LOG" slack \
	"text~=dbready run on " "text~=ok: nothing to apply"
DBREADY_NOTIFY_FORMAT=slack run_dbready "notify: Slack, failed run" 4 wait --url "$BAD_DB" \
	--timeout 1s --notify-url "http://$H:$STUB_PORT/services/T0/B0/x"
payload_check "notify: Slack, failed run: shape" "$STUB_LOG" slack "text~=error (exit 4)"
assert_not_contains "$RUN_ERR" "/services/"

# --- a failing receiver ---------------------------------------------------------------------
httpstub_start down --route /hook=500 --route /gone=404 --route /flaky=503,200 || true
DOWN=$STUB_PORT DOWN_LOG=$STUB_LOG
run_dbready "notify: receiver fails: logged, exit 0" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$DOWN/hook"
assert_contains "$RUN_ERR" "could not post the outcome to http://$H:$DOWN/***"
assert_contains "$RUN_ERR" "DETAIL: HTTP status 500"
check "notify: receiver fails: 3 attempts" test "$(stub_requests "$DOWN_LOG" /hook)" -eq 3
check "notify: receiver fails: one line per retry" \
	test "$(count_matches "$RUN_ERR" "outcome webhook http://$H:$DOWN/\*\*\*: attempt [12] failed: HTTP status 500.*next try in")" -eq 2
assert_contains "$RUN_TERMLOG" "ok: database ready"
assert_le "notify: receiver fails: retries bounded (< 8 s)" "$RUN_MS" 8000
run_dbready "notify: 404 is not retried" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$DOWN/gone"
check "notify: 404: one attempt" test "$(stub_requests "$DOWN_LOG" /gone)" -eq 1
run_dbready "notify: a retry succeeds" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$DOWN/flaky" --notify-required
check "notify: flaky: 2 attempts" test "$(stub_requests "$DOWN_LOG" /flaky)" -eq 2
assert_contains "$RUN_ERR" "outcome posted"
run_dbready "notify: receiver unreachable: logged, exit 0" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$REFUSED/hook" --log-format json
assert_json_log "$RUN_ERR"
check "notify: unreachable receiver: notify_failed event" \
	test "$(json_count "$RUN_ERR" event=notify_failed level=warning)" -eq 1

# --notify-required: a successful run fails with 10; a failed run keeps its own code
run_dbready "notify: --notify-required" 10 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$DOWN/hook" --notify-required
assert_contains "$RUN_ERR" "could not post the outcome to http://$H:$DOWN/*** (--notify-required)"
assert_contains "$RUN_TERMLOG" "error (exit 10): could not post the outcome"
DBREADY_NOTIFY_REQUIRED=true run_dbready "notify: DBREADY_NOTIFY_REQUIRED, run" 10 run \
	--url "$DB_URL" --dir "$MIG" --timeout 10s --notify-url "http://$H:$REFUSED/hook"
run_dbready "notify: --notify-required keeps a failed run's code" 4 wait --url "$BAD_DB" \
	--timeout 1s --notify-url "http://$H:$DOWN/hook" --notify-required

# --- the URL from a file is a secret, path and all ------------------------------------------
# the receiver's path holds the canary, as a Slack hook's does: its log is kept out of the scan
STUB_LOG_DIR=$T/secrets httpstub_start secret --route "/services/$CANARY=200" \
	--route "/services/$CANARY-down=500" || true
SECRET=$STUB_PORT SECRET_LOG=$STUB_LOG
printf 'http://%s:%s/services/%s\n' "$H" "$SECRET" "$CANARY" >"$T/secrets/hook-url"
run_dbready "notify: --notify-url-file" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url-file "$T/secrets/hook-url" -v
assert_contains "$RUN_ERR" "outcome posted to http://$H:$SECRET/***"
check "notify: --notify-url-file: the receiver got it" test "$(stub_requests "$SECRET_LOG")" -eq 1
payload_check "notify: --notify-url-file: shape, no canary" "$SECRET_LOG" json 'outcome="ok"'
printf 'http://%s:%s/services/%s-down' "$H" "$SECRET" "$CANARY" >"$T/secrets/hook-down"
DBREADY_NOTIFY_URL_FILE=$T/secrets/hook-down run_dbready "notify: secret URL, receiver fails" 0 \
	wait --url "$DB_URL" --timeout 10s
assert_contains "$RUN_ERR" "could not post the outcome to http://$H:$SECRET/***"

# --- the receiver's body is not relayed: it may echo the token, cut or in part --------------
EBODY="$(printf 'E%.0s' $(seq 1 126))hook /services/T0/B0/$CANARY gone"
STUB_LOG_DIR=$T/secrets httpstub_start echo --route "/services/T0/B0/$CANARY=410" \
	--body "/services/T0/B0/$CANARY=$EBODY" --route "/services/T1/B1/$CANARY=404" \
	--body "/services/T1/B1/$CANARY=no_service: token $CANARY is not known" || true
ECHO=$STUB_PORT
run_dbready "notify: 410 echoing the URL, cut" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$ECHO/services/T0/B0/$CANARY"
assert_contains "$RUN_ERR" "DETAIL: HTTP status 410"
assert_not_contains "$RUN_ERR" "${CANARY:0:12}"
run_dbready "notify: 404 echoing the token" 10 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$ECHO/services/T1/B1/$CANARY" --notify-required
assert_contains "$RUN_ERR" "DETAIL: HTTP status 404"
assert_not_contains "$RUN_TERMLOG" "no_service"

# "TOKEN:@host" (an empty password): the user name is the secret
run_dbready "notify: token as user name, empty password" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$CANARY:@$H:$OK/hook" -v
assert_contains "$RUN_ERR" "outcome posted to http://***@$H:$OK/***"

# a 2xx with a body larger than 16 KiB is delivered: posted once, not again
httpstub_start big --route /big=200 --body "/big=$(printf 'x%.0s' $(seq 1 20000))" || true
run_dbready "notify: 2xx with a large body" 0 wait --url "$DB_URL" --timeout 10s \
	--notify-url "http://$H:$STUB_PORT/big" --notify-required -v
assert_contains "$RUN_ERR" "outcome posted"
check "notify: 2xx with a large body: one request" test "$(stub_requests "$STUB_LOG" /big)" -eq 1

# --- usage and configuration errors -----------------------------------------------------------
run_dbready "notify: bad --notify-format" 2 wait --url "$DB_URL" --notify-format xml
assert_contains "$RUN_ERR" "invalid value \"xml\" for --notify-format"
run_dbready "notify: not an http URL" 2 wait --url "$DB_URL" --notify-url "ftp://$H/x"
assert_contains "$RUN_ERR" "invalid webhook URL \"ftp://$H/***\""
run_dbready "notify: password with an unencoded '/'" 2 wait --url "$DB_URL" \
	--notify-url "http://u:$CANARY/XYZ@$H/x"
assert_contains "$RUN_ERR" "invalid webhook URL \"http://u:***@$H/***\""
run_dbready "notify: URL and file" 2 wait --url "$DB_URL" --notify-url "http://$H/x" \
	--notify-url-file "$T/secrets/hook-url"
run_dbready "notify: file missing" 3 wait --url "$DB_URL" --notify-url-file "$T/secrets/nope"
assert_contains "$RUN_ERR" "could not read --notify-url-file"
: >"$T/secrets/empty"
run_dbready "notify: file empty" 3 wait --url "$DB_URL" --notify-url-file "$T/secrets/empty"

# --- --stay posts before it stays --------------------------------------------------------------
before=$(stub_requests "$OK_LOG")
start_dbready "notify: --stay posts at once" wait --url "$DB_URL" --timeout 10s --stay \
	--notify-url "http://$H:$OK/hook"
for i in $(seq 1 50); do
	[ "$(stub_requests "$OK_LOG")" -gt "$before" ] && break
	sleep 0.1
done
check "notify: --stay: posted while staying" test "$(stub_requests "$OK_LOG")" -gt "$before"
kill -TERM "$RUN_PID"
finish_dbready 0 20
check "notify: --stay: posted once" test "$(stub_requests "$OK_LOG")" -eq $((before + 1))

harness_finish
