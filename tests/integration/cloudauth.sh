#!/usr/bin/env bash
# cloudauth.sh - --auth=azure|gcp (README "Cloud IAM authentication"): before every
# connection attempt dbready fetches a short-lived access token and logs in with it as the
# password. tests/lib/metadata_server.py plays the three token endpoints on loopback, each
# checking what the real one checks and answering as it does:
#   Azure Instance Metadata Service (managed identity): GET
#     /metadata/identity/oauth2/token?api-version=2018-02-01&resource=..., "Metadata: true";
#     https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
#   Entra ID token endpoint with a federated assertion (AKS workload identity): POST
#     /{tenant}/oauth2/v2.0/token, form grant_type=client_credentials, client_id, scope,
#     client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer,
#     client_assertion=<AZURE_FEDERATED_TOKEN_FILE>;
#     https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
#     https://azure.github.io/azure-workload-identity/docs/installation/mutating-admission-webhook.html
#   Google metadata server (Cloud SQL IAM database authentication): GET
#     /computeMetadata/v1/instance/service-accounts/default/token, "Metadata-Flavor: Google";
#     https://cloud.google.com/compute/docs/access/authenticate-workloads
#     https://cloud.google.com/sql/docs/postgres/iam-logins
# The PostgreSQL roles' password is the served token: a JWT of realistic size (Entra ID's run
# 1.5-2.5 KB; PostgreSQL takes such a password both as a cleartext password message, as
# Azure's and Cloud SQL's IAM logins send it, and through SCRAM, whose SASLprep passes ASCII
# of any length) whose signature part is the harness's CANARY, so the canary scan over every
# capture also proves the token never leaked.
. "$(dirname "$0")/../lib/harness.sh"

META=$T/meta
mkdir -p "$META"
META_LOG=$META/requests.jsonl
CONTROL=$META/control.json
TOKEN_FILE=$T/secrets/token
SA_TOKEN=$T/secrets/sa-token # the federated (Kubernetes service-account) token
TENANT=72f988bf-86f1-41af-91ab-2d7cd011db47
CLIENT_ID=11111111-2222-3333-4444-555555555555
MI=dbready-mi            # Azure: the managed identity's name is its database role
SA_USER=dbready-sa@proj.iam # GCP: the service account's email without .gserviceaccount.com
WI=wi-app                # workload identity app, through SCRAM rather than a cleartext password

# --- tokens ------------------------------------------------------------------------------------
# make_jwt SIGNATURE_PREFIX: a JWT shaped like an Entra ID access token (RS256: a 342-character
# signature), about 1.9 KB; the signature starts with SIGNATURE_PREFIX
make_jwt() {
	python3 - "$1" "$TENANT" "$CLIENT_ID" <<-'EOF'
		import base64, json, os, sys, time
		prefix, tenant, client = sys.argv[1:4]
		def b64(b):
		    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
		now = int(time.time())
		hdr = {"typ": "JWT", "alg": "RS256", "x5t": b64(os.urandom(20)), "kid": b64(os.urandom(20))}
		claims = {
		    "aud": "https://ossrdbms-aad.database.windows.net",
		    "iss": "https://sts.windows.net/%s/" % tenant, "iat": now, "nbf": now,
		    "exp": now + 86399, "aio": b64(os.urandom(90)), "appid": client, "appidacr": "2",
		    "idp": "https://sts.windows.net/%s/" % tenant, "idtyp": "app",
		    "oid": "9d3e6a1c-0b5f-4d2e-8c7a-1f2b3c4d5e6f", "rh": b64(os.urandom(60)),
		    "sub": "9d3e6a1c-0b5f-4d2e-8c7a-1f2b3c4d5e6f", "tid": tenant,
		    "uti": b64(os.urandom(16)), "ver": "1.0",
		    "xms_mirid": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/"
		                 "rg-dbready/providers/Microsoft.ManagedIdentity/userAssignedIdentities/dbready-mi",
		    "xms_tcdt": 1600000000, "xms_ftd": b64(os.urandom(40)),
		}
		sig = (prefix + b64(os.urandom(256)))[:342]
		print("%s.%s.%s" % (b64(json.dumps(hdr).encode()), b64(json.dumps(claims).encode()), sig))
	EOF
}

TOKEN=$(make_jwt "$CANARY")
WRONG_TOKEN=$(make_jwt "$CANARY-wrong")
(umask 077 && printf '%s\n' "$TOKEN" >"$TOKEN_FILE")
# the claims segment is random: no capture may hold it either (nor the wrong token's)
TOKEN_MIDDLE=$(printf '%s' "$TOKEN" | cut -d. -f2 | cut -c40-100)
WRONG_MIDDLE=$(printf '%s' "$WRONG_TOKEN" | cut -d. -f2 | cut -c40-100)
check "the token has a realistic length (${#TOKEN} bytes, 1500-2600)" \
	test "${#TOKEN}" -ge 1500 -a "${#TOKEN}" -le 2600

# sa_token NAME: a Kubernetes projected service-account token (RS256 JWT, ~1 KB)
sa_token() {
	python3 - "$1" <<-'EOF'
		import base64, json, os, sys, time
		def b64(b):
		    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
		now = int(time.time())
		c = {"aud": ["api://AzureADTokenExchange"], "exp": now + 3600, "iat": now,
		     "iss": "https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/",
		     "kubernetes.io": {"namespace": "app", "pod": {"name": sys.argv[1]},
		                       "serviceaccount": {"name": "dbready"}},
		     "nbf": now, "sub": "system:serviceaccount:app:dbready"}
		print("%s.%s.%s" % (b64(b'{"alg":"RS256","kid":"k1"}'), b64(json.dumps(c).encode()),
		                    b64(os.urandom(256))))
	EOF
}
ASSERTION_A=$(sa_token pod-a)
ASSERTION_B=$(sa_token pod-b)
(umask 077 && printf '%s' "$ASSERTION_A" >"$SA_TOKEN")
SIG_A=${ASSERTION_A##*.}
SIG_B=${ASSERTION_B##*.}

# --- the token endpoints -----------------------------------------------------------------------
# meta_start PORTFILE [ARGS...]: a metadata server (tests/lib/metadata_server.py); prints its
# port and leaves its pid in META_PID
meta_start() {
	local portfile=$1
	shift
	rm -f "$portfile"
	python3 "$HARNESS_LIB/metadata_server.py" --port-file "$portfile" --token-file "$TOKEN_FILE" \
		--log "$META_LOG" --control "$CONTROL" --tenant "$TENANT" --client-id "$CLIENT_ID" \
		--identity uai-1 "$@" </dev/null >>"$META/server.out" 2>&1 &
	META_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$portfile" ] && break
		sleep 0.05
	done
	if [ ! -s "$portfile" ]; then
		fail "start the metadata server" "$(tail -n 5 "$META/server.out")"
		return 1
	fi
}
control() { printf '%s\n' "$1" >"$CONTROL"; }
control '{}'
meta_start "$META/port" || true
MPORT=$(cat "$META/port" 2>/dev/null)
MBASE=http://127.0.0.1:$MPORT

# req_count [KEY=VALUE...]: requests in this run's log matching every filter: method=, path=,
# status=, h.HEADER= (lower case), q.PARAM=, f.FIELD=; VALUE <absent> = not there
req_count() {
	python3 - "$META_LOG" "$@" <<-'EOF'
		import json, sys
		n = 0
		try:
		    lines = open(sys.argv[1]).read().splitlines()
		except FileNotFoundError:
		    lines = []
		for line in lines:
		    r = json.loads(line)
		    ok = True
		    for f in sys.argv[2:]:
		        k, v = f.split("=", 1)
		        if k.startswith("h."):
		            got = r["headers"].get(k[2:])
		        elif k.startswith("q."):
		            got = (r["query"].get(k[2:]) or [None])[0]
		        elif k.startswith("f."):
		            got = (r["form"] or {}).get(k[2:])
		        else:
		            got = None if r.get(k) is None else str(r[k])
		        ok = ok and (got is None if v == "<absent>" else got == v)
		    n += ok
		print(n)
	EOF
}

# token_run NAME EXIT ARGS...: run_dbready with an empty request log (kept afterwards as the
# run's requests.jsonl). The served token carries the canary, so the run counts as one that
# carried it for the harness's leak check.
token_run() {
	: >"$META_LOG"
	CANARY_RUNS=$((CANARY_RUNS + 1))
	run_dbready "$@"
	cp "$META_LOG" "$RUN_DIR/requests.jsonl" 2>/dev/null
}

# no_leak: nothing this run wrote holds the token, the wrong token or an assertion
no_leak() {
	local f
	for f in "$RUN_OUT" "$RUN_ERR" "$RUN_TERMLOG"; do
		[ -e "$f" ] || continue
		if grep -qF -e "$TOKEN_MIDDLE" -e "$WRONG_MIDDLE" -e "$SIG_A" -e "$SIG_B" -- "$f"; then
			fail "$RUN_NAME: no token or assertion in $(basename "$f")"
			return
		fi
	done
	pass "$RUN_NAME: no token or assertion in any output"
}

# --- the database ------------------------------------------------------------------------------
pg_init main || true
# as Azure and Cloud SQL take IAM tokens: a cleartext password message (over TLS there)
HBA=${PG_DATA_MAIN:-$T/pg/main/data}/pg_hba.conf
{
	echo "host all \"$MI\" 127.0.0.1/32 password"
	echo "host all \"$SA_USER\" 127.0.0.1/32 password"
	cat "$HBA"
} >"$HBA.new" && mv "$HBA.new" "$HBA"
[ "$(id -u)" = 0 ] && chown postgres: "$HBA"
pg_start main || true
PORT=$(pg_port main)
pg_create_app main app pwdb || true
pg_sql main <<-EOF || true
	CREATE ROLE "$MI" LOGIN PASSWORD '$TOKEN';
	CREATE ROLE "$SA_USER" LOGIN PASSWORD '$TOKEN';
	CREATE ROLE "$WI" LOGIN PASSWORD '$TOKEN';
	CREATE DATABASE app OWNER "$MI";
EOF
pg_sql main app <<-EOF || true
	CREATE TABLE blocker (id int);
	ALTER TABLE blocker OWNER TO "$MI";
EOF
MI_URL="postgres://$MI@127.0.0.1:$PORT/app"
SA_URL="postgres://dbready-sa%40proj.iam@127.0.0.1:$PORT/app"
WI_URL="postgres://$WI@127.0.0.1:$PORT/app"
IMDS=(env DBREADY_AZURE_IMDS_ENDPOINT="$MBASE")
GCP=(env GCE_METADATA_HOST="127.0.0.1:$MPORT")
WORKLOAD=(env AZURE_FEDERATED_TOKEN_FILE="$SA_TOKEN" AZURE_CLIENT_ID="$CLIENT_ID"
	AZURE_TENANT_ID="$TENANT" AZURE_AUTHORITY_HOST="$MBASE/")
IMDS_PATH=/metadata/identity/oauth2/token
GCP_PATH=/computeMetadata/v1/instance/service-accounts/default/token
ENTRA_PATH=/$TENANT/oauth2/v2.0/token
RESOURCE=https://ossrdbms-aad.database.windows.net

# with RUN_WRAP=(env VAR=...) the variables reach dbready only (env execs it: RUN_PID stays)
with() { RUN_WRAP=("$@"); }
plain() { RUN_WRAP=(); }

# --- Azure, managed identity (IMDS) -----------------------------------------------------------
with "${IMDS[@]}"
token_run "azure imds: wait" 0 wait --auth=azure --url "$MI_URL" --timeout 20s -v
assert_contains "$RUN_ERR" "database ready: $MI_URL (PostgreSQL"
assert_contains "$RUN_ERR" "got an access token from $MBASE$IMDS_PATH (valid for 86399 s)"
check "azure imds: one GET with Metadata: true, api-version, resource, no client_id" \
	test "$(req_count method=GET path=$IMDS_PATH h.metadata=true q.api-version=2018-02-01 \
		q.resource=$RESOURCE q.client_id='<absent>' status=200)" = 1
check "azure imds: no X-Forwarded-For (IMDS refuses forwarded requests)" \
	test "$(req_count h.x-forwarded-for='<absent>')" = 1
no_leak

# a user-assigned identity, through the environment (DBREADY_AUTH) and AZURE_CLIENT_ID
with "${IMDS[@]}" DBREADY_AUTH=azure AZURE_CLIENT_ID=uai-1
token_run "azure imds: user-assigned identity" 0 wait --url "$MI_URL" --timeout 20s
check "azure imds: client_id=uai-1 sent" test "$(req_count path=$IMDS_PATH q.client_id=uai-1)" = 1

# an identity the VM does not have: IMDS says "Identity not found" - refused for good
with "${IMDS[@]}" AZURE_CLIENT_ID=uai-unknown
token_run "azure imds: identity not found" 5 wait --auth=azure --url "$MI_URL" --timeout 20s \
	--log-format json
assert_json_log "$RUN_ERR"
assert_contains "$RUN_ERR" "Identity not found"
assert_contains "$RUN_ERR" '"event":"token_refused"'
assert_contains "$RUN_ERR" "AZURE_CLIENT_ID"
assert_le "azure imds: identity not found: at once (< 3 s)" "$RUN_MS" 3000
check "azure imds: identity not found: one request, no retry" test "$(req_count)" = 1
assert_contains "$RUN_TERMLOG" "error (exit 5): access token refused: "

# --- Azure, workload identity (federated token file -> Entra ID) -------------------------------
with "${WORKLOAD[@]}"
token_run "azure workload identity: wait" 0 wait --auth=azure --url "$WI_URL" --timeout 20s -v
assert_contains "$RUN_ERR" "database ready"
check "azure workload identity: one form POST with every field the flow needs" \
	test "$(req_count method=POST path="$ENTRA_PATH" \
		h.content-type=application/x-www-form-urlencoded f.grant_type=client_credentials \
		f.client_id=$CLIENT_ID f.scope=$RESOURCE/.default \
		f.client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
		f.client_assertion="$ASSERTION_A" status=200)" = 1
check "azure workload identity: no Expect: 100-continue round trip" \
	test "$(req_count h.expect='<absent>')" = 1
no_leak

# the kubelet rotates the token file: the next run sends the new one
(umask 077 && printf '%s\n' "$ASSERTION_B" >"$SA_TOKEN")
token_run "azure workload identity: rotated token file" 0 wait --auth=azure --url "$WI_URL" \
	--timeout 20s
check "azure workload identity: the new assertion sent" \
	test "$(req_count f.client_assertion="$ASSERTION_B")|$(req_count f.client_assertion="$ASSERTION_A")" = "1|0"

# ... and within one run: the file is re-read for every attempt. The database is down at first;
# the file changes after the first token request; the attempt that logs in sends the new one.
(umask 077 && printf '%s' "$ASSERTION_A" >"$SA_TOKEN")
pg_stop main
: >"$META_LOG"
CANARY_RUNS=$((CANARY_RUNS + 1))
start_dbready "azure workload identity: token file re-read per attempt" wait --auth=azure \
	--url "$WI_URL" --timeout 30s
for i in $(seq 1 100); do
	[ "$(req_count f.client_assertion="$ASSERTION_A")" -ge 1 ] && break
	sleep 0.05
done
(umask 077 && printf '%s' "$ASSERTION_B" >"$SA_TOKEN")
pg_start main || true
finish_dbready 0 40
cp "$META_LOG" "$RUN_DIR/requests.jsonl"
check "azure workload identity: one run sent the old assertion, then the new one" \
	test "$(req_count f.client_assertion="$ASSERTION_A")" -ge 1 -a \
	"$(req_count f.client_assertion="$ASSERTION_B")" -ge 1
check "azure workload identity: one token request per attempt" test "$(req_count)" = \
	"$(grep -c 'attempt [0-9]*: ' "$RUN_ERR" | awk '{print $1 + 1}')"
no_leak

# a federated credential that does not match: Entra ID's invalid_client (AADSTS70021)
control "{\"accept_assertion\": \"not-this-one\"}"
token_run "azure workload identity: no matching federated credential" 5 wait --auth=azure \
	--url "$WI_URL" --timeout 20s
control '{}'
assert_contains "$RUN_ERR" "invalid_client: AADSTS70021: No matching federated identity record"
assert_not_contains "$RUN_ERR" "Trace ID"
assert_contains "$RUN_ERR" "HINT: Check the federated identity credential of client ID \"$CLIENT_ID\""
assert_le "azure workload identity: refused at once (< 3 s)" "$RUN_MS" 3000
no_leak

# workload identity configured by half: a configuration error, before any request
with env AZURE_FEDERATED_TOKEN_FILE="$SA_TOKEN" AZURE_CLIENT_ID="$CLIENT_ID"
token_run "azure workload identity: AZURE_TENANT_ID missing" 3 wait --auth=azure \
	--url "$WI_URL" --timeout 20s
assert_contains "$RUN_ERR" "AZURE_TENANT_ID not set"
check "azure workload identity: AZURE_TENANT_ID missing: no request" test "$(req_count)" = 0

# --- GCP, metadata server (Cloud SQL IAM) ------------------------------------------------------
with "${GCP[@]}"
token_run "gcp: wait" 0 wait --auth=gcp --url "$SA_URL" --timeout 20s -v
assert_contains "$RUN_ERR" "database ready: postgres://dbready-sa%40proj.iam@127.0.0.1:$PORT/app"
check "gcp: one GET with Metadata-Flavor: Google" \
	test "$(req_count method=GET path=$GCP_PATH h.metadata-flavor=Google status=200)" = 1
no_leak

# --- the database refuses the token ------------------------------------------------------------
printf '%s\n' "$WRONG_TOKEN" >"$TOKEN_FILE"
token_run "gcp: a token the database does not take" 5 wait --auth=gcp --url "$SA_URL" \
	--timeout 20s --log-format json
printf '%s\n' "$TOKEN" >"$TOKEN_FILE"
assert_contains "$RUN_ERR" '"sqlstate":"28P01"'
assert_contains "$RUN_ERR" "took the access token but not as user"
assert_contains "$RUN_ERR" ".gserviceaccount.com"
check "gcp: wrong token: one attempt" test "$(req_count)" = 1
no_leak

# --- the token endpoint is down: retried until the deadline, exit 10 ------------------------------
DOWN=$(free_port)
with env GCE_METADATA_HOST="127.0.0.1:$DOWN"
token_run "gcp: metadata server down" 10 wait --auth=gcp --url "$SA_URL" --timeout 2s
assert_contains "$RUN_ERR" "attempt 2: "
assert_contains "$RUN_ERR" "no access token from the Google metadata server for postgres://dbready-sa%40proj.iam@"
assert_contains "$RUN_ERR" "http://127.0.0.1:$DOWN$GCP_PATH"
assert_contains "$RUN_ERR" "HINT: The metadata server answers only on Google Cloud"
assert_le "gcp: metadata server down: waited the whole 2 s" 1900 "$RUN_MS"
assert_le "gcp: metadata server down: and not much longer" "$RUN_MS" 5000
assert_contains "$RUN_TERMLOG" "error (exit 10): no access token: could not get an access token from the Google metadata server (http://127.0.0.1:$DOWN$GCP_PATH)"

with env DBREADY_AZURE_IMDS_ENDPOINT="http://127.0.0.1:$DOWN"
token_run "azure imds: down, JSON log" 10 wait --auth=azure --url "$MI_URL" --timeout 1500ms \
	--log-format json
assert_json_log "$RUN_ERR"
check "azure imds: down: attempts logged, then token_unavailable with exit_code 10" \
	test "$(json_count "$RUN_ERR" event=attempt_failed)" -ge 2 -a \
	"$(json_count "$RUN_ERR" event=token_unavailable exit_code=10)" = 1

# 503 twice, then a token: retried, then ready
control '{"fail_first": 2, "fail_status": 503}'
meta_restart() { # a fresh server: the scripted failures count from the first request
	kill "$META_PID" 2>/dev/null
	wait "$META_PID" 2>/dev/null
	meta_start "$META/port" --port "$MPORT"
}
meta_restart || true
with "${IMDS[@]}"
token_run "azure imds: 503 twice, then a token" 0 wait --auth=azure --url "$MI_URL" --timeout 20s
control '{}'
check "azure imds: 503 twice: three requests" \
	test "$(req_count status=503)|$(req_count status=200)" = "2|1"
assert_contains "$RUN_ERR" "HTTP 503"
assert_contains "$RUN_ERR" "database ready"

# a slow endpoint: each request is bounded by the attempt's timeout, then retried; exit 10
control '{"delay_ms": 3000}'
token_run "azure imds: slower than --connect-timeout" 10 wait --auth=azure --url "$MI_URL" \
	--connect-timeout 700ms --timeout 2s
assert_contains "$RUN_ERR" "attempt 2: "
assert_contains "$RUN_ERR" "timed out"
assert_le "azure imds: slow: gave up at the deadline (< 4 s)" "$RUN_MS" 4000
# SIGTERM while a token request is under way ends the wait at once
control '{"delay_ms": 20000}'
: >"$META_LOG"
CANARY_RUNS=$((CANARY_RUNS + 1))
start_dbready "azure imds: SIGTERM during a token request" wait --auth=azure --url "$MI_URL" \
	--timeout 30s
sleep 1
kill -TERM "$RUN_PID"
finish_dbready 143 10
assert_le "azure imds: SIGTERM during a token request: exit within 2.5 s of the start" \
	"$RUN_MS" 2500
assert_contains "$RUN_ERR" "stopped by SIGTERM"
control '{}'
meta_restart || true # no answer of a delayed request may land in a later run's log

# an endpoint that comes up late: the wait goes on, then succeeds
LATE=$(free_port)
with env DBREADY_AZURE_IMDS_ENDPOINT="http://127.0.0.1:$LATE"
: >"$META_LOG"
CANARY_RUNS=$((CANARY_RUNS + 1))
start_dbready "azure imds: endpoint up late" wait --auth=azure --url "$MI_URL" --timeout 20s
sleep 1.5
LATE_PID=
if meta_start "$META/late-port" --port "$LATE"; then
	LATE_PID=$META_PID
fi
finish_dbready 0 30
cp "$META_LOG" "$RUN_DIR/requests.jsonl"
assert_contains "$RUN_ERR" "attempt 2: "
assert_contains "$RUN_ERR" "http://127.0.0.1:$LATE$IMDS_PATH"
assert_contains "$RUN_ERR" "database ready"
check "azure imds: up late: exactly one token request reached it" test "$(req_count)" = 1
[ -n "$LATE_PID" ] && kill "$LATE_PID" 2>/dev/null && wait "$LATE_PID" 2>/dev/null
with "${IMDS[@]}"

# --- answers that are no token: exit 10 at once -------------------------------------------------
control '{"malformed": true}'
token_run "azure imds: HTML instead of JSON" 10 wait --auth=azure --url "$MI_URL" --timeout 20s
assert_contains "$RUN_ERR" "is not a JSON object"
assert_contains "$RUN_ERR" "did not answer with an access token"
assert_contains "$RUN_ERR" "HINT: What answered is not a token endpoint"
assert_not_contains "$RUN_ERR" "nginx"
assert_le "azure imds: HTML: at once (< 3 s)" "$RUN_MS" 3000
control '{"no_token": true}'
with "${GCP[@]}"
token_run "gcp: JSON without access_token" 10 wait --auth=gcp --url "$SA_URL" --timeout 20s
assert_contains "$RUN_ERR" "has no access_token; its keys: token_type, expires_in"
assert_contains "$RUN_TERMLOG" "error (exit 10): no access token: "
check "gcp: no access_token: one request" test "$(req_count)" = 1
control '{}'

# --- a token under an error status, or secrets in a rejected endpoint: never quoted -----------
# (the canary in the body and in the variables: the harness's scan proves its absence)
with "${GCP[@]}"
control "{\"status\": 500, \"body\": \"{\\\"access_token\\\":\\\"ya29.$CANARY\\\",\\\"expires_in\\\":3599}\"}"
token_run "gcp: a token with HTTP 500" 10 wait --auth=gcp --url "$SA_URL" --timeout 1s
assert_contains "$RUN_ERR" "HTTP 500: a JSON body of "
assert_contains "$RUN_TERMLOG" "HTTP 500: a JSON body of "
assert_not_contains "$RUN_ERR" "access_token"
control "{\"status\": 503, \"body\": \"proxy error: ya29.$CANARY\"}"
token_run "gcp: a token in a text error body" 10 wait --auth=gcp --url "$SA_URL" --timeout 1s
assert_contains "$RUN_ERR" "HTTP 503: proxy error: ***"
control '{}'
with env DBREADY_AZURE_IMDS_ENDPOINT="http://u:$CANARY@127.0.0.1:$MPORT"
token_run "azure imds: endpoint with a password" 3 wait --auth=azure --url "$MI_URL" --timeout 5s
assert_contains "$RUN_ERR" "invalid value \"http://***@127.0.0.1:$MPORT\" for DBREADY_AZURE_IMDS_ENDPOINT"
with env GCE_METADATA_HOST="u:$CANARY@127.0.0.1:$MPORT"
token_run "gcp: metadata host with a password" 3 wait --auth=gcp --url "$SA_URL" --timeout 5s
assert_contains "$RUN_ERR" "invalid value \"***@127.0.0.1:$MPORT\" for GCE_METADATA_HOST"
with "${WORKLOAD[@]}" AZURE_AUTHORITY_HOST="https://$CANARY@login.example.com/"
token_run "azure workload identity: authority with a token" 3 wait --auth=azure --url "$WI_URL" \
	--timeout 5s
assert_contains "$RUN_ERR" "invalid value \"https://***@login.example.com/\" for AZURE_AUTHORITY_HOST"

# --- --auth=password, and passwords beside --auth ------------------------------------------------
plain
token_run "password: unchanged, no token request" 0 wait --url "$(pg_url app "$CANARY" pwdb)" \
	--timeout 20s
check "password: no request to any token endpoint" test "$(req_count)" = 0
with "${IMDS[@]}"
token_run "azure imds: a password in the URL as well" 3 wait --auth=azure \
	--url "postgres://$MI:$CANARY@127.0.0.1:$PORT/app" --timeout 20s
assert_contains "$RUN_ERR" "--url has a password, but --auth=azure uses an access token as the password"
assert_contains "$RUN_ERR" "HINT: Remove the password from the URL"
assert_contains "$RUN_TERMLOG" "error (exit 3): "
check "azure imds: password in the URL: no request" test "$(req_count)" = 0
with "${GCP[@]}" PGPASSWORD="$CANARY"
token_run "gcp: PGPASSWORD as well" 3 check --auth=gcp --url "$SA_URL" --dir "$REPO_ROOT/examples/migrations"
assert_contains "$RUN_ERR" "PGPASSWORD has a password, but --auth=gcp"

# --- run: migrations with token logins ------------------------------------------------------------
# A migration blocked by another session's lock: after 5 s dbready looks from a second
# connection (src/apply.c), which logs in with a token of its own - two token requests.
MIG=$T/mig
mkdir -p "$MIG"
printf 'ALTER TABLE blocker ADD COLUMN note text;\n' >"$MIG/1_blocked.sql"
PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d app \
	-v ON_ERROR_STOP=1 -c "SET application_name = 'lockholder'" -c 'BEGIN' \
	-c 'LOCK TABLE blocker IN ACCESS SHARE MODE' -c 'SELECT pg_sleep(8)' -c 'COMMIT' \
	</dev/null >>"$T/pg/main/psql.log" 2>&1 &
HOLDER=$!
for i in $(seq 1 100); do
	n=$(PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d app \
		-c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'lockholder' AND l.relation = 'blocker'::regclass AND l.granted" 2>/dev/null)
	[ "$n" = 1 ] && break
	sleep 0.05
done
with "${IMDS[@]}"
token_run "azure imds: run, a migration behind a lock" 0 run --auth=azure --url "$MI_URL" \
	--dir "$MIG" --timeout 20s -v
wait "$HOLDER" 2>/dev/null
assert_contains "$RUN_ERR" "applied 1 migration (1_blocked)"
assert_contains "$RUN_ERR" "has waited 5 s for a lock held by another session"
assert_contains "$RUN_ERR" "application \"lockholder\""
check "azure imds: run: a fresh token for the second connection (2 requests)" \
	test "$(req_count path=$IMDS_PATH status=200)" = 2
no_leak
token_run "azure imds: run again, nothing to apply" 0 run --auth=azure --url "$MI_URL" \
	--dir "$MIG" --timeout 20s
assert_contains "$RUN_ERR" "nothing to apply"
token_run "azure imds: status" 0 status --auth=azure --url "$MI_URL" --dir "$MIG" --json
check "azure imds: status --json: 1 applied" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["counts"]["applied"] == 1 else 1)' "$RUN_OUT"

# --- the static binary ---------------------------------------------------------------------------
# `make static` (BUILD=...) beside the binary under test, else build/: HTTP with libcurl built
# for http and https only, OpenSSL, musl's resolver. Skipped when absent, except under CI=true.
STATIC=
for s in "$(dirname "$DBREADY")/dbready-static" "$REPO_ROOT/build/dbready-static"; do
	if [ -x "$s" ]; then
		STATIC=$s
		break
	fi
done
if [ -n "$STATIC" ] && ! "$STATIC" --help 2>/dev/null | grep -q -- '--auth'; then
	say "# $STATIC predates --auth: make static"
	STATIC=
fi
if [ -z "$STATIC" ]; then
	if [ "${CI:-}" = true ]; then
		fail "static: a dbready-static with --auth" "CI=true: run make static first"
	else
		say "# SKIP static token flow: no current dbready-static (make static)"
	fi
else
	HOST_DBREADY=$DBREADY
	DBREADY=$STATIC
	with env -i DBREADY_AZURE_IMDS_ENDPOINT="$MBASE"
	token_run "static: azure imds" 0 wait --auth=azure --url "$MI_URL" --timeout 20s
	assert_contains "$RUN_ERR" "database ready"
	with env -i GCE_METADATA_HOST="127.0.0.1:$MPORT"
	token_run "static: gcp" 0 wait --auth=gcp --url "$SA_URL" --timeout 20s
	check "static: gcp: Metadata-Flavor sent" test "$(req_count h.metadata-flavor=Google status=200)" = 1
	with env -i "${WORKLOAD[@]:1}"
	token_run "static: azure workload identity" 0 wait --auth=azure --url "$WI_URL" --timeout 20s
	check "static: workload identity: the form POST" \
		test "$(req_count method=POST f.client_assertion="$ASSERTION_B" status=200)" = 1
	no_leak
	printf '%s\n' "$WRONG_TOKEN" >"$TOKEN_FILE"
	with env -i DBREADY_AZURE_IMDS_ENDPOINT="$MBASE"
	token_run "static: a token the database does not take" 5 wait --auth=azure --url "$MI_URL" \
		--timeout 20s
	printf '%s\n' "$TOKEN" >"$TOKEN_FILE"
	with env -i GCE_METADATA_HOST="127.0.0.1:$DOWN"
	token_run "static: metadata server down" 10 wait --auth=gcp --url "$SA_URL" --timeout 1s
	no_leak
	DBREADY=$HOST_DBREADY
fi
plain

harness_finish
