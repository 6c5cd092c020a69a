#!/usr/bin/env bash
# deploy_chart.sh - charts/dbready, checked here without helm (which cannot be installed on
# this machine; the GitHub workflow runs the real helm lint, helm template + kubeconform and
# a kind install):
#   - static (check-chart.mjs): Chart.yaml, values.yaml against values.schema.json (ajv) and
#     wrong values rejected, every value described, in the README's generated table, used by
#     a template; every template reference exists; every dbready option reaches the container
#   - rendered (tests/deploy/render: Go's text/template with sprig, helm's engine and function
#     library from Debian, plus helm's own functions reimplemented; see render.go): the
#     README's install command run as written (helm and kubectl are shell functions that
#     render and dry-run), the ci/ scenarios, migrations.chartDir, and tests/deploy/app-chart
#     (a parent chart including dbready.initContainer / dbready.sidecar / dbready.volumes);
#     every object validates against the Kubernetes schema, every pod against the Pod
#     Security Standard "restricted"; wrong values make the render fail with a clear message
#   - the rendered hook Job and the app chart's await initContainer run on the real binary
#     (as uid 65532, volumes laid out as the kubelet does) against the harness's PostgreSQL
#
# Needs node and npm (tests/deploy) and, for rendering, Go and Debian's sprig
# (golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev: make deps), root
# and kubectl. A missing prerequisite skips the rest of the file, except under CI=true.
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=../deploy/lib/deploy.sh
. "$REPO_ROOT/tests/deploy/lib/deploy.sh"

CHART=$REPO_ROOT/charts/dbready
deploy_npm
node_checks chart check-chart.mjs "$REPO_ROOT"

# --- the renderer ----------------------------------------------------------------------------------
command -v go >/dev/null 2>&1 || deploy_skip_or_fail "go is not installed (make deps: golang-go)"
SPRIG=/usr/share/gocode/src/github.com/Masterminds/sprig
[ -d "$SPRIG" ] || deploy_skip_or_fail "sprig is not installed (make deps: golang-github-masterminds-sprig-dev)"
command -v kubectl >/dev/null 2>&1 || deploy_skip_or_fail "kubectl is not installed"
[ "$(id -u)" = 0 ] || deploy_skip_or_fail "needs root (runs dbready as uid 65532)"
# Debian installs Go modules for GOPATH mode without their /vN directory: a private GOPATH
# maps sprig/v3 and semver/v3 onto them
GP=$T/gopath
mkdir -p "$GP/src/dbready-render" "$GP/src/github.com/Masterminds/sprig" "$GP/src/github.com/Masterminds/semver"
ln -s "$SPRIG" "$GP/src/github.com/Masterminds/sprig/v3"
ln -s /usr/share/gocode/src/github.com/Masterminds/semver "$GP/src/github.com/Masterminds/semver/v3"
cp "$DEPLOY_DIR/render/render.go" "$GP/src/dbready-render/"
RENDER=$T/render
if (cd "$GP/src/dbready-render" && GOPATH=$GP:/usr/share/gocode GO111MODULE=off GOFLAGS='' GOCACHE=$T/gocache \
	go build -o "$RENDER" .) >"$T/out/go-build.log" 2>&1; then
	pass "render.go builds (Go $(go env GOVERSION), sprig from Debian)"
else
	fail "render.go builds"
	diag_file go-build.log "$T/out/go-build.log"
	harness_finish
fi

OUT=$T/out/render
mkdir -p "$OUT"
# render NAME ARGS...: OUT/NAME.yaml, .values.json, .notes.txt; records the result
render() {
	local name=$1
	shift
	if "$RENDER" --values-out "$OUT/$name.values.json" --notes-out "$OUT/$name.notes.txt" "$@" \
		>"$OUT/$name.yaml" 2>"$OUT/$name.err"; then
		pass "render $name"
	else
		fail "render $name" "$(cat "$OUT/$name.err")"
		rm -f "$OUT/$name.yaml"
	fi
}
# render_fails NAME MESSAGE ARGS...: the render must fail, saying MESSAGE
render_fails() {
	local name=$1 msg=$2
	shift 2
	"$RENDER" "$@" >"$T/out/fail-$name.yaml" 2>"$T/out/fail-$name.err"
	local rc=$?
	if [ "$rc" -ne 0 ] && grep -qF -- "$msg" "$T/out/fail-$name.err"; then
		pass "render fails: $name (\"$msg\")"
	else
		fail "render fails: $name (\"$msg\")" "exit $rc" "$(cat "$T/out/fail-$name.err")"
	fi
}

# the README's install command, as written: helm renders, kubectl dry-runs
WORK=$T/work
mkdir -p "$WORK"
cp -R "$REPO_ROOT/examples/migrations" "$WORK/drizzle"
extract_block() { # extract_block FILE HEADING: the first ```sh block below the heading
	awk -v h="$2" '$0 == h {s=1; next} s && /^#/ {exit} s && /^```sh$/ {b=1; next} b && /^```$/ {exit} b {print}' "$1"
}
extract_block "$CHART/README.md" "## Install" >"$WORK/install.sh"
check "charts/dbready/README.md has an install command (## Install)" grep -q 'helm upgrade --install' "$WORK/install.sh"
extract_block "$REPO_ROOT/README.md" "### Helm" >"$WORK/install-main.sh"
check "README.md's Helm command is the chart README's" cmp "$WORK/install.sh" "$WORK/install-main.sh"
cat >"$WORK/stand-ins.sh" <<EOF
# helm: install, upgrade --install and template of oci://ghcr.io/OWNER/charts/dbready render
# the chart in the checkout; kubectl create runs as a client-side dry run
helm() {
	local sub=\$1 name= chart= args=()
	shift
	[ "\$sub" = upgrade ] && [ "\${1:-}" = --install ] && shift
	case \$sub in install | upgrade | template) ;; *) echo "helm stand-in: \$sub" >&2; return 2 ;; esac
	while [ \$# -gt 0 ]; do
		case \$1 in
		--version | --namespace | -n | --timeout) shift 2 ;;
		--wait | --atomic | --create-namespace) shift ;;
		--set | --set-file | -f | --values) args+=("\$1" "\$2"); shift 2 ;;
		-*) echo "helm stand-in: unsupported \$1" >&2; return 2 ;;
		*) if [ -z "\$name" ]; then name=\$1; else chart=\$1; fi; shift ;;
		esac
	done
	[ "\$chart" = oci://ghcr.io/OWNER/charts/dbready ] || { echo "helm stand-in: chart \$chart" >&2; return 2; }
	"$RENDER" --name "\$name" --values-out "$OUT/readme-install.values.json" \
		--notes-out "$OUT/readme-install.notes.txt" "\${args[@]}" "$CHART" >"$OUT/readme-install.yaml"
}
kubectl() {
	command kubectl "\$@" --dry-run=client -o yaml >>"$WORK/kubectl.yaml"
}
EOF
if (cd "$WORK" && bash -euo pipefail -c '. ./stand-ins.sh; . ./install.sh') >"$T/out/install.log" 2>&1; then
	pass "the README's install command runs (helm rendering, kubectl dry-run)"
else
	fail "the README's install command runs (helm rendering, kubectl dry-run)"
	diag_file log "$T/out/install.log"
	rm -f "$OUT/readme-install.yaml"
fi
check "the README's kubectl command makes the Secret app-db with the key url" \
	grep -qE '^  url: ' "$WORK/kubectl.yaml"

render files -f "$CHART/ci/files-values.yaml" "$CHART"
render existing -f "$CHART/ci/existing-values.yaml" --revision 2 --upgrade "$CHART"
render image -f "$CHART/ci/image-values.yaml" "$CHART"
render nojob -f "$CHART/ci/nojob-values.yaml" "$CHART"
# migrations.chartDir: the folder inside a copy of the chart
mkdir -p "$T/chartdir"
cp -R "$CHART" "$T/chartdir/dbready"
cp -R "$REPO_ROOT/examples/migrations" "$T/chartdir/dbready/migrations"
render chartdir --set migrations.chartDir=migrations --set databaseUrl.secretName=app-db "$T/chartdir/dbready"
# config.baseline (docs/adopting.md) reaches the Job as DBREADY_BASELINE, and only when set
render baseline --set migrations.chartDir=migrations --set databaseUrl.secretName=app-db \
	--set config.baseline=0000_create_users "$T/chartdir/dbready"
check "config.baseline: the Job gets DBREADY_BASELINE=0000_create_users" \
	grep -A1 -- '- name: DBREADY_BASELINE' "$OUT/baseline.yaml"
check "config.baseline: its value" grep -qF -- 'value: "0000_create_users"' "$OUT/baseline.yaml"
# shellcheck disable=SC2016 # the inner shell's $1
check "config.baseline unset: no DBREADY_BASELINE" bash -c '! grep -q DBREADY_BASELINE "$1"' _ "$OUT/chartdir.yaml"
# the app chart with dbready as a dependency (helm dependency build would copy it there)
APP=$T/appchart/app
mkdir -p "$T/appchart"
cp -R "$DEPLOY_DIR/app-chart" "$APP"
mkdir -p "$APP/charts"
cp -R "$CHART" "$APP/charts/dbready"
MIGS=(--set-file 'dbready.migrations.files.0000_create_users\.sql='"$REPO_ROOT/examples/migrations/0000_create_users.sql"
	--set-file 'dbready.migrations.files.0001_add_posts\.sql='"$REPO_ROOT/examples/migrations/0001_add_posts.sql"
	--set-file 'dbready.migrations.files._journal\.json='"$REPO_ROOT/examples/migrations/meta/_journal.json")
render app-await --name shop "${MIGS[@]}" "$APP"
render app-run --name shop --set dbready.job.enabled=false "${MIGS[@]}" "$APP"
render app-sidecar --name shop --set mode=sidecar "${MIGS[@]}" "$APP"

render_fails no-secret "databaseUrl.secretName" --set migrations.existingConfigMap=m "$CHART"
render_fails no-source "set exactly one source of migrations" --set databaseUrl.secretName=app-db "$CHART"
render_fails two-sources "set exactly one source of migrations" --set databaseUrl.secretName=app-db \
	--set migrations.existingConfigMap=m --set migrations.image.reference=x "$CHART"
render_fails bad-key "is not a ConfigMap key" --set databaseUrl.secretName=app-db \
	--set-file "migrations.files.meta/_journal\.json=$REPO_ROOT/examples/migrations/meta/_journal.json" "$CHART"
render_fails empty-chartdir "no *.sql file" --set databaseUrl.secretName=app-db \
	--set migrations.chartDir=nothing-here "$CHART"

node_checks chart-rendered check-chart.mjs "$REPO_ROOT" "$OUT"

# --- the rendered Job and the app's await initContainer, run ---------------------------------------
pg_start main || harness_finish
pg_create_app main || harness_finish
pg_sql main <<<'CREATE DATABASE "chart" OWNER app;' || harness_finish
URL=$(pg_url app "$CANARY" chart)
RENDERED=$OUT/readme-install.yaml
JOB=Job/app-migrations-dbready-migrate
layout() { # layout FILE KIND/NAME VOLUME DEST
	(cd "$DEPLOY_DIR" && node kubelet-volume.mjs "$@") >"$T/out/layout-$(basename "$4").log" 2>&1 || {
		fail "lay out volume $3 of $2"
		diag_file log "$T/out/layout-$(basename "$4").log"
		harness_finish
	}
}
layout "$RENDERED" "$JOB" dbready-migrations "$T/vol-job"
chmod 755 "$T/vol-job"
# read_container FILE KIND/NAME: the dbready container's args and literal env
read_container() {
	ARGS=() ENVS=()
	local kind a b
	while IFS=$'\t' read -r kind a b; do
		case $kind in
		arg) ARGS+=("$a") ;;
		env) ENVS+=("$a=$b") ;;
		envsecret) ENVS+=("$a=$URL") ;;
		esac
	done < <(cd "$DEPLOY_DIR" && node pod-container.mjs "$1" "$2" dbready)
}
read_container "$RENDERED" "$JOB"
# DBREADY_DIR=/migrations from the chart: the laid-out volume stands in for it
ENVS=("${ENVS[@]/#DBREADY_DIR=*/DBREADY_DIR=$T/vol-job}")
# shellcheck disable=SC2034 # read by start_dbready
RUN_WRAP=(env -i "${ENVS[@]}" setpriv --reuid=65532 --regid=65532 --clear-groups) # read by start_dbready
run_dbready "chart: the rendered hook Job's container (${ARGS[*]}) applies the migrations as uid 65532" 0 "${ARGS[@]}"
RUN_WRAP=()
assert_contains "$RUN_ERR" "0001_add_posts"
rows=$(PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d chart \
	-c 'SELECT count(*) FROM drizzle.__drizzle_migrations' 2>&1 | redact)
check "chart: 2 history rows after the Job" test "$rows" = 2

layout "$OUT/app-await.yaml" Deployment/shop-app dbready-migrations "$T/vol-app"
chmod 755 "$T/vol-app"
read_container "$OUT/app-await.yaml" Deployment/shop-app
ENVS=("${ENVS[@]/#DBREADY_DIR=*/DBREADY_DIR=$T/vol-app}")
RUN_WRAP=(env -i "${ENVS[@]}" setpriv --reuid=65532 --regid=65532 --clear-groups) # read by start_dbready
run_dbready "chart: the app chart's initContainer (${ARGS[*]}) finds every migration applied" 0 "${ARGS[@]}"
RUN_WRAP=()

harness_finish
