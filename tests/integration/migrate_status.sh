#!/usr/bin/env bash
# migrate_status.sh - looking without applying (README "Migrations", cli.md): `status --json`
# against the documented shape, unknown history rows, `await` (exit 9 at the deadline; exit 0
# once another process applied everything), `probe`, `--dry-run` (changes nothing, not even
# the history table), `--tx=all` (one transaction: a failure in the last migration leaves none)
# and `--history-table`.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

FIXTURES=$REPO_ROOT/tests/fixtures
D4=$FIXTURES/migrate-drizzle4

# status_valid NAME FILE DIR COUNTS [HISTORY_TABLE]: FILE is a `status --json` document of
# the documented shape for the migrations in DIR, with COUNTS ("applied=4,pending=0,...")
status_valid() {
	local name=$1
	shift
	local out
	if out=$(python3 - "$@" 2>&1 <<-'PY'
		import hashlib, json, os, re, sys
		path, mdir, counts = sys.argv[1], sys.argv[2], sys.argv[3]
		table = sys.argv[4] if len(sys.argv) > 4 else None
		errs = []
		def err(m): errs.append(m)
		doc = json.load(open(path))
		def is_int(v): return isinstance(v, int) and not isinstance(v, bool)
		want = {"target", "format", "history_table", "records_checksum", "migrations", "unknown", "failed", "counts"}
		if not isinstance(doc, dict) or not want <= set(doc):
		    sys.exit("top level: want the keys %s, got %s" % (sorted(want), sorted(doc)))
		fmt = doc["format"]
		if fmt not in ("drizzle", "plain"): err("format %r" % fmt)
		if doc["records_checksum"] is not True: err("records_checksum %r, want true" % doc["records_checksum"])
		if not isinstance(doc["failed"], list): sys.exit("failed not a list")
		if not isinstance(doc["target"], str) or ":***@" not in doc["target"]:
		    err("target not a redacted URL: %r" % doc["target"])
		if not isinstance(doc["history_table"], str): err("history_table not a string")
		default = '"drizzle"."__drizzle_migrations"' if fmt == "drizzle" else '"public"."dbready_migrations"'
		if doc["history_table"] != (table or default):
		    err("history_table %r, want %r" % (doc["history_table"], table or default))
		states = {"applied": 0, "pending": 0, "changed": 0, "out-of-order": 0}
		HEX = re.compile(r"^[0-9a-f]{64}$")
		if not isinstance(doc["migrations"], list): sys.exit("migrations not a list")
		for i, m in enumerate(doc["migrations"]):
		    where = "migrations[%d]" % i
		    if not isinstance(m, dict): err(where + " not an object"); continue
		    for k in ("name", "file", "hash", "state"):
		        if not isinstance(m.get(k), str): err("%s.%s not a string" % (where, k))
		    if not isinstance(m.get("no_transaction"), bool): err(where + ".no_transaction not a boolean")
		    if fmt == "drizzle":
		        if not is_int(m.get("created_at")): err(where + ".created_at not an integer")
		        if "version" in m: err(where + " has version in a drizzle folder")
		    else:
		        if not isinstance(m.get("version"), str) or not m["version"].isdigit(): err(where + ".version not a digit string")
		        if "created_at" in m: err(where + " has created_at in a plain folder")
		    st = m.get("state")
		    if st not in states: err("%s.state %r not one of %s" % (where, st, sorted(states))); continue
		    states[st] += 1
		    if not HEX.match(str(m.get("hash"))): err(where + ".hash not 64 lowercase hex")
		    f = os.path.join(mdir, str(m.get("file")))
		    if not os.path.isfile(f): err(where + ".file %r not in the folder" % m.get("file"))
		    elif hashlib.sha256(open(f, "rb").read()).hexdigest() != m.get("hash"):
		        err(where + ".hash is not the SHA-256 of " + m["file"])
		    if (st == "changed") != ("recorded_hash" in m): err(where + ": recorded_hash iff changed")
		    if st == "changed" and not HEX.match(str(m.get("recorded_hash"))): err(where + ".recorded_hash not hex")
		if not isinstance(doc["unknown"], list): sys.exit("unknown not a list")
		for i, u in enumerate(doc["unknown"]):
		    key = "created_at" if fmt == "drizzle" else "version"
		    if not isinstance(u, dict) or not isinstance(u.get("hash"), str): err("unknown[%d].hash not a string" % i)
		    elif key not in u: err("unknown[%d] has no %s" % (i, key))
		c = doc["counts"]
		ckeys = {"applied", "pending", "changed", "out_of_order", "unknown", "failed"}
		if not isinstance(c, dict) or set(c) != ckeys: sys.exit("counts keys %s, want %s" % (sorted(c), sorted(ckeys)))
		for k, v in c.items():
		    if not is_int(v) or v < 0: err("counts.%s not a non-negative integer" % k)
		tally = {"applied": states["applied"], "pending": states["pending"], "changed": states["changed"],
		         "out_of_order": states["out-of-order"], "unknown": len(doc["unknown"]),
		         "failed": len(doc["failed"])}
		if c != tally: err("counts %s disagree with the list %s" % (c, tally))
		for kv in counts.split(","):
		    k, v = kv.split("=")
		    if c.get(k) != int(v): err("counts.%s = %r, want %s" % (k, c.get(k), v))
		if errs: sys.exit("\n".join(errs))
	PY
	); then
		pass "$name"
	else
		fail "$name" "$out"
		diag_run
	fi
}

pg_start main || true
pg_create_app main || true
PORT=$(pg_port main)
HN=0

# --- before anything: status, dry run, probe, await --------------------------------------------
URL=$(new_db st)
run_dbready "status: fresh database" 0 status --json --url "$URL" --dir "$D4"
status_valid "status: fresh database: the documented shape, 4 pending" "$RUN_OUT" "$D4" \
	applied=0,pending=4,changed=0,out_of_order=0,unknown=0
check "status: target is the redacted URL" python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["target"]
assert t == sys.argv[2], t
' "$RUN_OUT" "postgres://app:***@127.0.0.1:$PORT/st"
assert_contains "$RUN_TERMLOG" "ok: 0 applied, 4 pending"
check "status: created nothing (no drizzle schema)" \
	test "$(q main st "SELECT to_regnamespace('drizzle') IS NULL")" = t

run_dbready "dry run: lists what would be applied" 0 run --dry-run --url "$URL" --dir "$D4" \
	--timeout 10s
for m in 0000_accounts 0001_projects 0002_users 0003_sessions; do
	assert_contains "$RUN_OUT" "would apply $m"
done
assert_contains "$RUN_OUT" "4 migrations to apply"
assert_not_contains "$RUN_OUT" "CREATE TABLE"
run_dbready "dry run -v: and the SQL" 0 run --dry-run -v --url "$URL" --dir "$D4" --timeout 10s
assert_contains "$RUN_OUT" 'CREATE TABLE "sessions" ('
DBREADY_DRY_RUN=true run_dbready "dry run from DBREADY_DRY_RUN" 0 run --url "$URL" --dir "$D4" \
	--timeout 10s
assert_contains "$RUN_OUT" "would apply 0003_sessions"
check "dry run: changed nothing (no drizzle schema, no history table, no accounts)" \
	test "$(q main st "SELECT to_regnamespace('drizzle') IS NULL, to_regclass('public.accounts') IS NULL")" = "t|t"

run_dbready "probe: migrations pending" 9 probe --url "$URL" --dir "$D4"
assert_contains "$RUN_ERR" "4 migrations still pending"
assert_contains "$RUN_ERR" "0000_accounts"
assert_le "probe: one look (< 2 s)" "$RUN_MS" 2000

run_dbready "await: pending at the 2 s deadline" 9 await --timeout 2s --url "$URL" --dir "$D4"
assert_le "await: not before the deadline" 1900 "$RUN_MS"
assert_le "await: at the deadline (< 4 s)" "$RUN_MS" 4000
assert_contains "$RUN_ERR" "still pending at the deadline"
assert_contains "$RUN_TERMLOG" "error (exit 9): "
check "await: applied nothing" test "$(q main st "SELECT to_regnamespace('drizzle') IS NULL")" = t

# await started first; another process applies a second later
start_dbready "await: until another process applied them" await --timeout 30s --url "$URL" \
	--dir "$D4"
A_NAME=$RUN_NAME A_DIR=$RUN_DIR A_PID=$RUN_PID A_START=$RUN_START_MS
sleep 1
run_dbready "await: the migrating process" 0 run --url "$URL" --dir "$D4" --timeout 10s
APPLIED_MS=$RUN_END_MS
RUN_NAME=$A_NAME RUN_DIR=$A_DIR RUN_PID=$A_PID RUN_START_MS=$A_START
RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
finish_dbready 0 40
LAG=$((RUN_END_MS - APPLIED_MS))
say "# await: exit ${LAG} ms after the migrating process finished"
assert_le "await: exit within 1.5 s of the migrations being applied (${LAG} ms)" "$LAG" 1500
assert_le "await: it did wait for them (>= 900 ms)" 900 "$RUN_MS"
assert_contains "$RUN_ERR" "waiting for 4 pending migrations"
assert_contains "$RUN_TERMLOG" "ok: all 4 migrations applied"

run_dbready "probe: all applied" 0 probe --url "$URL" --dir "$D4"
run_dbready "await: all applied, at once" 0 await --timeout 5s --url "$URL" --dir "$D4"
assert_le "await: all applied: at once (< 2 s)" "$RUN_MS" 2000
run_dbready "dry run: nothing to apply" 0 run --dry-run --url "$URL" --dir "$D4" --timeout 10s
assert_contains "$RUN_OUT" "0 migrations to apply"

# --- applied, and an unknown row ---------------------------------------------------------------
run_dbready "status: all applied" 0 status --json --url "$URL" --dir "$D4"
status_valid "status: all applied: the documented shape, 4 applied" "$RUN_OUT" "$D4" \
	applied=4,pending=0,changed=0,out_of_order=0,unknown=0
check "status: per-migration transactions: 4 rows written by 4 transactions" \
	test "$(q main st 'SELECT count(DISTINCT xmin::text) FROM drizzle.__drizzle_migrations')" = 4

# a row from a newer release's folder (another branch, a deleted file): unknown
q main st "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('$(printf '%064d' 0 | tr 0 e)', 1690000000000)" >/dev/null
run_dbready "status: a history row with no file" 0 status --json --url "$URL" --dir "$D4"
status_valid "status: unknown row: the documented shape, 1 unknown" "$RUN_OUT" "$D4" \
	applied=4,pending=0,changed=0,out_of_order=0,unknown=1
check "status: unknown row: listed with its created_at and hash" python3 -c '
import json, sys
u = json.load(open(sys.argv[1]))["unknown"]
assert len(u) == 1 and str(u[0]["created_at"]) == "1690000000000" and u[0]["hash"] == "e" * 64, u
' "$RUN_OUT"
run_dbready "status: unknown row, text" 0 status --url "$URL" --dir "$D4"
assert_matches "$RUN_OUT" 'unknown +created_at 1690000000000'
assert_contains "$RUN_OUT" "4 applied, 0 pending, 0 changed, 0 out of order, 1 unknown"
run_dbready "run: an unknown row is a warning, not an error" 0 run --url "$URL" --dir "$D4" \
	--timeout 10s
assert_matches "$RUN_ERR" 'warning: .*1690000000000.*no file here'
run_dbready "probe: an unknown row does not make it pending" 0 probe --url "$URL" --dir "$D4"

# --- plain folders ----------------------------------------------------------------------------
PLAIN=$FIXTURES/migrate-notx
URL=$(new_db stplain)
run_dbready "status: plain folder, fresh" 0 status --json --url "$URL" --dir "$PLAIN"
status_valid "status: plain folder: the documented shape, 3 pending" "$RUN_OUT" "$PLAIN" \
	applied=0,pending=3,changed=0,out_of_order=0,unknown=0
check "status: plain folder: versions 1,2,3; no_transaction false,true,true" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["migrations"]
assert [x["version"] for x in m] == ["1", "2", "3"], m
assert [x["no_transaction"] for x in m] == [False, True, True], m
' "$RUN_OUT"
run_dbready "plain: apply" 0 run --url "$URL" --dir "$PLAIN" --timeout 10s
q main stplain "INSERT INTO public.dbready_migrations (version, name, checksum, duration_ms, applied_by) VALUES ('7', '7_gone', 'abc', 1, 'test')" >/dev/null
run_dbready "status: plain folder, applied, one unknown" 0 status --json --url "$URL" --dir "$PLAIN"
status_valid "status: plain folder: 3 applied, 1 unknown" "$RUN_OUT" "$PLAIN" \
	applied=3,pending=0,changed=0,out_of_order=0,unknown=1
check "status: plain folder: the unknown row carries version 7" python3 -c '
import json, sys
u = json.load(open(sys.argv[1]))["unknown"]
assert len(u) == 1 and str(u[0]["version"]) == "7", u
' "$RUN_OUT"
check "plain: history rows carry name, checksum, duration and applied_by" \
	test "$(q main stplain "SELECT name, checksum = '$(sha256sum "$PLAIN/1_items.sql" | cut -d' ' -f1)', duration_ms >= 0, applied_by LIKE '%dbready%' FROM public.dbready_migrations WHERE version = '1'")" = "1_items|t|t|t"

# --- check (offline) and migrate (one attempt) -------------------------------------------------
REFUSED=$(free_port)
run_dbready "check: offline, nothing listens" 0 check --json --dir "$D4" \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app?sslmode=disable"
check "check --json: 4 migrations, the drizzle history table, no state" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "drizzle" and d["history_table"] == "\"drizzle\".\"__drizzle_migrations\"", d
assert [m["name"] for m in d["migrations"]] == ["0000_accounts", "0001_projects", "0002_users", "0003_sessions"], d
assert all("state" not in m for m in d["migrations"]), d
' "$RUN_OUT"
run_dbready "migrate: one attempt, nothing listens" 4 migrate --dir "$D4" --timeout 30s \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app?sslmode=disable"
assert_le "migrate: no waiting (< 2 s with --timeout 30s)" "$RUN_MS" 2000
assert_not_contains "$RUN_ERR" "attempt 2:"
URL=$(new_db mig)
run_dbready "migrate: applies, JSON log" 0 migrate --url "$URL" --dir "$D4" --log-format json
assert_json_log "$RUN_ERR"
check "migrate: JSON log: 4 migration_applied events with migration and duration_ms" \
	test "$(json_count "$RUN_ERR" event=migration_applied migration duration_ms)" = 4
check "migrate: JSON log: a done event with exit_code 0" \
	test "$(json_count "$RUN_ERR" event=done exit_code=0)" = 1
check "migrate: 4 rows" test "$(q main mig 'SELECT count(*) FROM drizzle.__drizzle_migrations')" = 4

# --- --tx=all ----------------------------------------------------------------------------------
URL=$(new_db txall)
run_dbready "tx=all: four migrations" 0 run --tx=all --url "$URL" --dir "$D4" --timeout 10s
assert_contains "$RUN_ERR" "in one transaction"
check "tx=all: 4 rows, written by one transaction" \
	test "$(q main txall 'SELECT count(*), count(DISTINCT xmin::text) FROM drizzle.__drizzle_migrations')" = "4|1"
check "tx=all: the tables of every migration exist" \
	test "$(q main txall "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('accounts', 'projects', 'audit_log', 'users', 'sessions')")" = 5

# a failure in the last migration leaves none of them
TXF=$T/dirs/txfail
mkdir -p "$T/dirs"
cp -R "$D4" "$TXF"
printf '%s\n' 'CREATE TABLE "sessions" (' '	"id" text PRIMARY KEY NOT NULL,' \
	'	"user_id" integer NOT NULL REFERENCES "nosuch"("id")' ');' >"$TXF/0003_sessions.sql"
URL=$(new_db txfail)
DBREADY_TX=all run_dbready "tx=all: the last migration fails" 7 run --url "$URL" --dir "$TXF" \
	--timeout 10s
assert_contains "$RUN_ERR" 'migration "0003_sessions" failed at 0003_sessions.sql:'
assert_contains "$RUN_ERR" 'relation "nosuch" does not exist'
check "tx=all: none applied (no history table, no accounts, no users)" \
	test "$(exists txfail drizzle.__drizzle_migrations)|$(exists txfail accounts)|$(exists txfail users)" = "f|f|f"
run_dbready "tx=all: status afterwards: 4 pending" 0 status --json --url "$URL" --dir "$TXF"
status_valid "tx=all: status afterwards: the documented shape, 4 pending" "$RUN_OUT" "$TXF" \
	applied=0,pending=4,changed=0,out_of_order=0,unknown=0

# --- --history-table ---------------------------------------------------------------------------
URL=$(new_db hist)
pg_sql main hist <<<'CREATE SCHEMA ops AUTHORIZATION app;' || true
run_dbready "history table: --history-table ops.schema_history" 0 run --url "$URL" --dir "$D4" \
	--timeout 10s --history-table ops.schema_history
check "history table: 4 rows in ops.schema_history, no drizzle schema" \
	test "$(q main hist 'SELECT count(*) FROM ops.schema_history')|$(q main hist "SELECT to_regnamespace('drizzle') IS NULL")" = "4|t"
check "history table: drizzle's columns (id, hash, created_at)" \
	test "$(q main hist "SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'ops' AND table_name = 'schema_history'")" = "id integer, hash text, created_at bigint"
DBREADY_HISTORY_TABLE=ops.schema_history run_dbready "history table: status with DBREADY_HISTORY_TABLE" \
	0 status --json --url "$URL" --dir "$D4"
status_valid "history table: status: 4 applied in ops.schema_history" "$RUN_OUT" "$D4" \
	applied=4,pending=0,changed=0,out_of_order=0,unknown=0 '"ops"."schema_history"'
run_dbready "history table: status with the default table" 0 status --json --url "$URL" --dir "$D4"
status_valid "history table: status, default table: 4 pending" "$RUN_OUT" "$D4" \
	applied=0,pending=4,changed=0,out_of_order=0,unknown=0
run_dbready "history table: probe with it" 0 probe --url "$URL" --dir "$D4" \
	--history-table ops.schema_history
run_dbready "history table: three parts" 2 status --url "$URL" --dir "$D4" \
	--history-table a.b.c
assert_contains "$RUN_ERR" "invalid history table"
run_dbready "history table: an unterminated quote" 2 status --url "$URL" --dir "$D4" \
	--history-table '"ops.hist'
# any identifier PostgreSQL takes, quoted as drizzle-orm quotes its migrationsTable option:
# a single quote, and the dollar-quote tag of dbready's own guard statement (fresh databases)
for spec in "ops.it's" 'ops.x$dbready$y'; do
	db=hist$((++HN))
	URL=$(new_db "$db")
	pg_sql main "$db" <<<'CREATE SCHEMA ops AUTHORIZATION app;' || true
	run_dbready "history table: the name $spec" 0 run --url "$URL" --dir "$D4" --timeout 10s \
		--history-table "$spec"
	tname=${spec#ops.}
	check "history table: 4 rows in ops.\"$tname\"" \
		test "$(q main "$db" "SELECT count(*) FROM ops.\"$tname\"")" = 4
done

harness_finish
