#!/usr/bin/env bash
# deploy_readme.sh - the README's deployment snippets are the tested files: every code block of
# README.md's "## Using it" section, and the marked blocks of charts/dbready/README.md, are
# contiguous excerpts of the files the other deploy_*.sh tests check (check-readme.mjs); the
# install commands themselves run in deploy_chart.sh. And every YAML file of the deployment
# surfaces parses (check-yaml.mjs). A dbready run is part of it too, so that the canary check
# has something to scan: `check` on the folder the manifests mount.
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

harness_finish
