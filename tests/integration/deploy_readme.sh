#!/usr/bin/env bash
# deploy_readme.sh - the README's deployment snippets are the tested files: every code block of
# README.md's "## Using it" section, and the marked blocks of charts/dbready/README.md, are
# contiguous excerpts of the files the other deploy_*.sh tests check (check-readme.mjs); the
# install commands themselves run in deploy_chart.sh. And every YAML file of the deployment
# surfaces parses (check-yaml.mjs). A dbready run is part of it too, so that the canary check
# has something to scan: `check` on the folder the manifests mount.
# The per-format Kubernetes snippets (README.md's Formats section, docs/switching.md: a mark
# `<!-- format snippet: FORMAT[,FORMAT...] -->`, the `kubectl create secret` block, the
# initContainer block) are valid Kubernetes (check-format-snippets.mjs), and dbready, run with the
# snippet's environment only (the Secret's literals, PASSWORD replaced; the mount path pointing at a
# one-migration folder of that format), reads that format from it: `check --json` names the
# format, the history table the snippet's settings give, and a target from the snippet's URL.
# The checker refuses a broken snippet, and a snippet whose tool variable dbready does not read
# fails here (both shown on altered copies).
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=../deploy/lib/deploy.sh
. "$REPO_ROOT/tests/deploy/lib/deploy.sh"

deploy_npm
node_checks readme check-readme.mjs "$REPO_ROOT"
node_checks yaml check-yaml.mjs "$REPO_ROOT"
run_dbready "readme: dbready check on the folder the snippets mount" 0 check \
	--url "postgres://app:$CANARY@db:5432/app?sslmode=require" --dir "$REPO_ROOT/manifests/migrations"
assert_contains "$RUN_OUT" "drizzle format, 2 migrations"

# --- the per-format snippets ------------------------------------------------------------------
SNIP_PAGES=(README.md docs/switching.md)
node_checks format-snippets check-format-snippets.mjs "$REPO_ROOT" "$T/snippets.json" "${SNIP_PAGES[@]}"

# one migration per format, as each tool writes it
F=$T/fmt
mkdir -p "$F/drizzle/meta" "$F/drizzle-1/20240101000000_init" "$F/golang-migrate" "$F/goose" \
	"$F/dbmate" "$F/prisma/20240101000000_init" "$F/flyway" "$F/plain"
echo 'CREATE TABLE t (id int);' >"$F/drizzle/0000_init.sql"
printf '%s\n' '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1700000000000,"tag":"0000_init","breakpoints":true}]}' \
	>"$F/drizzle/meta/_journal.json"
echo 'CREATE TABLE "t" ("id" integer);' >"$F/drizzle-1/20240101000000_init/migration.sql"
echo '{}' >"$F/drizzle-1/20240101000000_init/snapshot.json"
echo 'CREATE TABLE t (id int);' >"$F/golang-migrate/1_init.up.sql"
echo 'DROP TABLE t;' >"$F/golang-migrate/1_init.down.sql"
printf -- '-- +goose Up\nCREATE TABLE t (id int);\n-- +goose Down\nDROP TABLE t;\n' >"$F/goose/20240101000000_init.sql"
printf -- '-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n' >"$F/dbmate/20240101000000_init.sql"
printf 'provider = "postgresql"\n' >"$F/prisma/migration_lock.toml"
echo 'CREATE TABLE "t" ("id" INTEGER);' >"$F/prisma/20240101000000_init/migration.sql"
echo 'CREATE TABLE t (id int);' >"$F/flyway/V1__init.sql"
echo 'CREATE TABLE t (id int);' >"$F/plain/001_init.sql"

# the history table each snippet's settings give (what `check --json` prints)
declare -A WANT_TABLE=(
	[drizzle]='"drizzle"."__drizzle_migrations"'
	[drizzle-1]='"drizzle"."__drizzle_migrations"'
	[golang-migrate]='"schema_migrations"'
	[goose]='"goose_db_version"'
	[dbmate]='"schema_migrations"'
	[prisma]='"public"."_prisma_migrations"'
	[flyway]='"flyway_schema_history"'
	[plain]='"public"."dbready_migrations"'
)

# snippet_run JSON I NAME EXPECTED_EXIT: dbready check --json with snippet I's environment only
# (env -i), on the one-migration folder of its format (or of FORMAT_DIR when set)
snippet_run() {
	local json=$1 i=$2 name=$3 want=$4 fmt
	fmt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[int(sys.argv[2])]["format"])' "$json" "$i")
	local dir=${FORMAT_DIR:-$F/$fmt} envf=$T/secrets/snippet-$i.env
	# NAME=VALUE lines (NUL-separated): PASSWORD -> the canary, the mount path -> the folder;
	# then the arguments after the command word, one per line
	python3 - "$json" "$i" "$CANARY" "$dir" "$envf" <<'PY' || return 1
import json, sys
s = json.load(open(sys.argv[1]))[int(sys.argv[2])]
canary, d, out = sys.argv[3], sys.argv[4], sys.argv[5]
mount = s["mount"].rstrip("/")
env, dir_named = [], False
for k, v in s["env"]:
    v = v.replace("PASSWORD", canary)
    # the mount path, alone or after a location prefix (Flyway's "filesystem:")
    pre = v[:v.index(":") + 1] if ":" in v and "://" not in v else ""
    rest = v[len(pre):]
    if rest == mount or rest.startswith(mount + "/"):
        v, dir_named = pre + d + rest[len(mount):], True
    env.append(f"{k}={v}")
with open(out, "w") as f:
    f.write("\0".join(env) + "\0")
with open(out + ".args", "w") as f:
    for a in s["args"][1:] + ([] if dir_named else ["--dir", d]):
        f.write(a + "\n")
PY
	local -a envv args
	mapfile -d '' -t envv <"$envf"
	mapfile -t args <"$envf.args"
	# shellcheck disable=SC2034 # RUN_WRAP is read by start_dbready
	RUN_WRAP=(env -i "PATH=$PATH" "${envv[@]}")
	run_dbready "$name" "$want" check --json "${args[@]}"
	# shellcheck disable=SC2034
	RUN_WRAP=()
}

n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/snippets.json" 2>/dev/null || echo 0)
declare -A SEEN=()
for ((i = 0; i < n; i++)); do
	IFS=$'\t' read -r fmt where < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[int(sys.argv[2])]; print(s["format"] + "\t" + s["where"])' "$T/snippets.json" "$i")
	SEEN[$fmt]=1
	snippet_run "$T/snippets.json" "$i" "snippet $where: dbready check --json with its environment" 0 || continue
	check "snippet $where: dbready reads it as $fmt, history ${WANT_TABLE[$fmt]:-?}, a URL from the snippet" python3 -c '
import json, sys, urllib.parse
d = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))[int(sys.argv[3])]
fmt, table = sys.argv[4], sys.argv[5]
assert d["format"] == fmt, ("format", d["format"])
assert d["history_table"] == table, ("history_table", d["history_table"])
hosts = set()
# Prisma'"'"'s DIRECT_URL, when the snippet sets it, is the one dbready must connect with
direct = [v for k, v in s["env"] if k == "DIRECT_URL"]
for _, v in [("DIRECT_URL", v) for v in direct] or s["env"]:
    if "://" in v:
        u = urllib.parse.urlsplit(v.removeprefix("jdbc:"))
        hosts.add(f"@{u.hostname}:{u.port or 5432}/")
assert any(h in d["target"] for h in hosts), ("target", d["target"], hosts)
assert "PASSWORD" not in d["target"], d["target"]' "$RUN_OUT" "$T/snippets.json" "$i" "$fmt" "${WANT_TABLE[$fmt]:-?}"
done
for fmt in drizzle drizzle-1 golang-migrate goose dbmate prisma flyway plain; do
	check "README.md or docs/switching.md has a Kubernetes snippet for $fmt" test -n "${SEEN[$fmt]:-}"
done

# --- ... and these checks fail on a broken snippet --------------------------------------------
mkdir -p "$T/broken/docs"
cp "$REPO_ROOT/README.md" "$T/broken/README.md"
# a misspelt field (secretKeyRefs), and a tool variable dbready does not read (GOOSE_DBSTRNG)
sed -e '0,/secretKeyRef:/s//secretKeyRefs:/' -e 's/GOOSE_DBSTRING/GOOSE_DBSTRNG/g' \
	"$REPO_ROOT/docs/switching.md" >"$T/broken/docs/switching.md"
(cd "$DEPLOY_DIR" && node check-format-snippets.mjs "$T/broken" "$T/broken.json" docs/switching.md) \
	</dev/null >"$T/out/broken-snippets.log" 2>&1
rc=$?
check "check-format-snippets.mjs refuses the misspelt secretKeyRefs (exit $rc, a FAIL line)" \
	bash -c '[ "$1" != 0 ] && grep -q "^FAIL.*secretKeyRefs" "$2"' _ "$rc" "$T/out/broken-snippets.log"
gi=$(python3 -c 'import json,sys; print(next(i for i, s in enumerate(json.load(open(sys.argv[1]))) if s["format"] == "goose"))' "$T/broken.json" 2>/dev/null)
if [ -n "$gi" ]; then
	snippet_run "$T/broken.json" "$gi" "a goose snippet with GOOSE_DBSTRNG: dbready finds no URL (exit 3)" 3
else
	fail "the altered copy still has its goose snippet"
fi

harness_finish
