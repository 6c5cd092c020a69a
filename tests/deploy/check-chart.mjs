// check-chart.mjs REPO [RENDERED] - charts/dbready without helm (with RENDERED: only the
// checks of the rendered scenarios):
//   - Chart.yaml's fields; values.yaml validates against values.schema.json (ajv, draft-07,
//     as helm validates values), and the schema rejects wrong values (it can fail)
//   - every documented value has a schema description and a row in README.md's values table,
//     which is exactly the table chart-readme.mjs generates; the templates reference only
//     values that exist, and every value is referenced by a template
//   - every option in dbready's Options table (docs/configuration.md) reaches the container
//   - RENDERED (a directory from deploy_chart.sh: SCENARIO.yaml rendered by render.go,
//     SCENARIO.values.json its merged values, SCENARIO.notes.txt): the merged values validate,
//     every object validates against the Kubernetes schema without unknown fields, every pod
//     passes the Pod Security Standard "restricted", the dbready containers are hardened, and
//     each scenario's particulars hold (below)
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import { check, exitStatus, parseK8sYaml } from "./lib/report.mjs";
import { documentedKeys, loadChart, readmeTable, schemaNode, valuesTable } from "./lib/chart.mjs";
import { describe, validateObject } from "./lib/k8s.mjs";
import { podOf, restrictedViolations } from "./lib/pss.mjs";
import { dbreadyContainerProblems } from "./lib/hardening.mjs";

const [REPO, RENDERED] = process.argv.slice(2);
const chart = loadChart(REPO);
const VERSION = /^VERSION\s*\?=\s*(\S+)/m.exec(readFileSync(join(REPO, "Makefile"), "utf8"))[1];
const templatesDir = join(chart.dir, "templates");
const templateFiles = readdirSync(templatesDir).sort();
const templates = Object.fromEntries(templateFiles.map((f) => [f, readFileSync(join(templatesDir, f), "utf8")]));
const allTemplateText = Object.values(templates).join("\n");

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
let validate = null;
const schemaErrors = (v) => {
	if (!validate)
		validate = ajv.compile(chart.schema);
	return validate(v) ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
};

if (!RENDERED) {
// --- Chart.yaml --------------------------------------------------------------------------------
check("Chart.yaml: apiVersion v2, name dbready, type application, a SemVer version", () => {
	const m = chart.meta, p = [];
	if (m.apiVersion !== "v2") p.push(`apiVersion ${m.apiVersion}`);
	if (m.name !== "dbready") p.push(`name ${m.name}`);
	if (m.type !== "application") p.push(`type ${m.type}`);
	if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(String(m.version))) p.push(`version ${m.version}`);
	if (!m.description) p.push("no description");
	return p;
});
check(`Chart.yaml: appVersion is the Makefile's VERSION (${VERSION}), the image tag's default`, () =>
	String(chart.meta.appVersion) === VERSION ? [] : [`appVersion ${chart.meta.appVersion}`]);
check("Chart.yaml: kubeVersion is a constraint from 1.25 on (Pod Security Admission, seccompProfile)", () =>
	/^>=\s*1\.(2[5-9]|[3-9]\d)\.\d+(-0)?$/.test(String(chart.meta.kubeVersion)) ? [] : [`kubeVersion ${chart.meta.kubeVersion}`]);

// --- the schema --------------------------------------------------------------------------------
check("values.schema.json compiles (JSON Schema draft-07, ajv strict mode)", () => {
	validate = ajv.compile(chart.schema);
});
check("values.yaml validates against values.schema.json", () => schemaErrors(chart.values));

const clone = (v) => JSON.parse(JSON.stringify(v));
const BAD = [
	["an unknown top-level key", (v) => { v.imagee = {}; }],
	["image.pullPolicy Sometimes", (v) => { v.image.pullPolicy = "Sometimes"; }],
	["image.digest that is not sha256", (v) => { v.image.digest = "md5:abc"; }],
	["config.tx one", (v) => { v.config.tx = "one"; }],
	["config.timeout \"1 minute\"", (v) => { v.config.timeout = "1 minute"; }],
	["config.logLevel trace", (v) => { v.config.logLevel = "trace"; }],
	["a migrations.files key with a slash", (v) => { v.migrations.files["meta/_journal.json"] = "{}"; }],
	["migrations.mountPath not absolute", (v) => { v.migrations.mountPath = "migrations"; }],
	["securityContext.runAsUser 0", (v) => { v.securityContext.runAsUser = 0; }],
	["securityContext.allowPrivilegeEscalation true", (v) => { v.securityContext.allowPrivilegeEscalation = true; }],
	["job.hookDeletePolicy always", (v) => { v.job.hookDeletePolicy = "always"; }],
	["sidecar.startupProbe.timeoutSeconds 1 (below dbready's connect timeout)", (v) => { v.sidecar.startupProbe.timeoutSeconds = 1; }],
	["databaseUrl.password (no plain secret values)", (v) => { v.databaseUrl.password = "x"; }],
];
for (const [what, mutate] of BAD) {
	const v = clone(chart.values);
	mutate(v);
	check(`values.schema.json rejects ${what}`, () => (validate && !validate(v) ? [] : ["accepted"]));
}

// --- documentation -------------------------------------------------------------------------------
const keys = documentedKeys(chart.schema, chart.values).map((p) => p.join("."));
check(`every value of values.yaml (${keys.length}) has a description in values.schema.json`, () =>
	keys.filter((k) => { const n = schemaNode(chart.schema, k.split(".")); return !n || !n.description; })
		.map((k) => `${k}: no description`));
const readme = readFileSync(join(chart.dir, "README.md"), "utf8");
const table = readmeTable(readme);
check("charts/dbready/README.md has the values table (between its markers)", () => (table ? [] : ["no table"]));
check("every value is a row of the README's values table, and every row a value", () => {
	const rows = new Set([...(table || "").matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
	return [...keys.filter((k) => !rows.has(k)).map((k) => `${k}: no row`),
		...[...rows].filter((r) => !keys.includes(r)).map((r) => `${r}: a row but no value`)];
});
check(`the chart version the READMEs install (--version, a dependency's version) is Chart.yaml's (${chart.meta.version})`, () => {
	const p = [];
	const uses = [...readme.matchAll(/charts\/dbready --version (\S+)|^\s+version: (\S+)$/gm),
		...readFileSync(join(REPO, "README.md"), "utf8").matchAll(/charts\/dbready --version (\S+)/g)];
	if (uses.length < 3) p.push(`only ${uses.length} versions found`);
	for (const m of uses)
		if ((m[1] || m[2]) !== String(chart.meta.version)) p.push(m[0].trim());
	return p;
});
check("the README's values table is the generated one (node tests/deploy/chart-readme.mjs REPO --write)", () =>
	table === valuesTable(chart) ? [] : ["the table differs from the one values.yaml and the schema give"]);

// --- templates and values --------------------------------------------------------------------------
// every reference: .Values.a.b, and $v.a.b where $v := .Values / .root.Values / .Values.x
const refs = new Set();
const aliasConflicts = [];
for (const text of Object.values(templates)) {
	for (const m of text.matchAll(/(?<![\w$])(?:\$|\.root|\$root)?\.Values((?:\.[A-Za-z_]\w*)+)/g))
		refs.add(m[1].slice(1));
	const aliases = {};
	for (const m of text.matchAll(/(\$\w+)\s*:=\s*(?:\$|\.root)?\.Values((?:\.[A-Za-z_]\w*)*)/g)) {
		if (m[1] in aliases && aliases[m[1]] !== m[2].slice(1))
			aliasConflicts.push(`${m[1]} is .Values${aliases[m[1]] && "." + aliases[m[1]]} and .Values${m[2]} in one file`);
		aliases[m[1]] = m[2].slice(1);
	}
	for (const [alias, base] of Object.entries(aliases))
		for (const m of text.matchAll(new RegExp(`\\${alias}((?:\\.[A-Za-z_]\\w*)+)`, "g")))
			refs.add([base, m[1].slice(1)].filter(Boolean).join("."));
}
const exists = (path) => {
	let o = chart.values;
	for (const k of path.split(".")) {
		if (!o || typeof o !== "object" || !(k in o))
			return false;
		o = o[k];
	}
	return true;
};
check("each template variable for values ($v := .Values...) means one path per file", () => aliasConflicts);
check(`the templates reference only values that exist (${refs.size} references)`, () =>
	[...refs].filter((r) => !exists(r)).map((r) => `.Values.${r} is not in values.yaml`));
check("every value is used by a template", () =>
	keys.filter((k) => ![...refs].some((r) => r === k || r.startsWith(k + ".") || k.startsWith(r + ".")))
		.map((k) => `${k} is never referenced`));
const optionsDict = /\$options := dict ((?:"\w+" "\w+" ?)+)/.exec(templates["_helpers.tpl"]);
check("the options table of the templates maps the keys of config (the others are used by name)", () => {
	if (!optionsDict) return ["no $options dict in _helpers.tpl"];
	const words = [...optionsDict[1].matchAll(/"(\w+)"/g)].map((m) => m[1]);
	const mapped = words.filter((_, i) => i % 2 === 0);
	const cfg = Object.keys(chart.values.config);
	return [...cfg.filter((k) => !mapped.includes(k) && !refs.has(`config.${k}`)).map((k) => `config.${k} is not mapped`),
		...mapped.filter((k) => !cfg.includes(k)).map((k) => `${k} is mapped but not in config`)];
});

// every option of dbready's Options table (docs/configuration.md) reaches the container: its environment
// variable or its flag appears in the templates
const configDoc = readFileSync(join(REPO, "docs/configuration.md"), "utf8");
const optSection = configDoc.split(/^## Options$/m)[1] || "";
const optRows = [...optSection.split(/^## /m)[0].matchAll(/^\| (`--[^|]*)\| ([^|]*)\|/gm)]
	.map((m) => ({ flags: [...m[1].matchAll(/`(--[\w-]+)`/g)].map((x) => x[1]), envs: [...m[2].matchAll(/`([A-Z_]+)`/g)].map((x) => x[1]) }));
check(`every option of docs/configuration.md's Options table (${optRows.length}) reaches the dbready container`, () => {
	if (optRows.length < 10) return [`only ${optRows.length} rows found in docs/configuration.md's Options table`];
	const p = [];
	for (const r of optRows) {
		if (r.flags.includes("--json")) continue; // status/check output, not a deployment setting
		const hit = r.envs.some((e) => new RegExp(`\\b${e}\\b`).test(allTemplateText)) ||
			r.flags.some((f) => allTemplateText.includes(`"${f}"`));
		if (!hit) p.push(`${r.flags.join(", ")} (${r.envs.join(", ") || "no variable"})`);
	}
	return p;
});

}

// --- what each scenario must show (deploy_chart.sh renders them) --------------------------------
const find = (objs, kind, pred = () => true) => objs.filter((o) => o.kind === kind && pred(o));
const dbr = (o) => { const s = podOf(o).spec; return [...(s.initContainers || []), ...(s.containers || [])].find((c) => c.name === "dbready"); };
const env = (c) => Object.fromEntries((c.env || []).map((e) => [e.name, e.value !== undefined ? e.value : e.valueFrom]));
const vol = (o, name) => (podOf(o).spec.volumes || []).find((v) => v.name === name);
const ann = (o) => (o.metadata && o.metadata.annotations) || {};
const EXAMPLE = join(REPO, "examples/migrations");
const exampleData = () => ({
	"0000_create_users.sql": readFileSync(join(EXAMPLE, "0000_create_users.sql"), "utf8"),
	"0001_add_posts.sql": readFileSync(join(EXAMPLE, "0001_add_posts.sql"), "utf8"),
	"_journal.json": readFileSync(join(EXAMPLE, "meta/_journal.json"), "utf8"),
});
const sameData = (a, b) => JSON.stringify(Object.entries(a || {}).sort()) === JSON.stringify(Object.entries(b || {}).sort());

const EXPECT = {
	// --set-file of every file of examples/migrations (the README's command), defaults
	"readme-install": function a_hook_Job_before_install_with_its_own_ConfigMap_copy_of_every_file(objs) {
		const p = [];
		const cms = find(objs, "ConfigMap");
		const regular = cms.find((c) => !ann(c)["helm.sh/hook"]);
		const hook = cms.find((c) => ann(c)["helm.sh/hook"]);
		const jobs = find(objs, "Job");
		if (!regular || !hook || jobs.length !== 1) return [`ConfigMaps ${cms.length}, Jobs ${jobs.length}`];
		if (!sameData(regular.data, exampleData())) p.push("the ConfigMap does not hold examples/migrations (files by name, the journal as _journal.json)");
		if (!sameData(hook.data, regular.data)) p.push("the hook copy differs");
		const j = jobs[0], a = ann(j);
		if (a["helm.sh/hook"] !== "pre-install,pre-upgrade") p.push(`hook ${a["helm.sh/hook"]}`);
		if (a["helm.sh/hook-delete-policy"] !== "before-hook-creation,hook-succeeded") p.push(`delete policy ${a["helm.sh/hook-delete-policy"]}`);
		if (!(Number(ann(hook)["helm.sh/hook-weight"]) < Number(a["helm.sh/hook-weight"]))) p.push("the ConfigMap copy is not created before the Job (hook weights)");
		if (ann(hook)["helm.sh/hook-delete-policy"] !== a["helm.sh/hook-delete-policy"]) p.push("the copy's delete policy differs from the Job's");
		const v = vol(j, "dbready-migrations");
		if (!v || !v.projected || v.projected.sources.some((s) => s.configMap.name !== hook.metadata.name))
			p.push("the Job does not mount the hook copy");
		const c = dbr(j);
		if (JSON.stringify(c.args) !== '["run"]') p.push(`args ${JSON.stringify(c.args)}`);
		const e = env(c);
		if (!e.DATABASE_URL || !e.DATABASE_URL.secretKeyRef || e.DATABASE_URL.secretKeyRef.name !== "app-db") p.push("DATABASE_URL is not from the Secret app-db");
		if (e.DBREADY_DIR !== "/migrations") p.push(`DBREADY_DIR ${e.DBREADY_DIR}`);
		if (c.image !== `ghcr.io/OWNER/dbready:${VERSION}`) p.push(`image ${c.image}`);
		if (j.spec.template.spec.restartPolicy !== "Never" || j.spec.backoffLimit !== 1 ||
			j.spec.activeDeadlineSeconds !== 900 || j.spec.ttlSecondsAfterFinished !== 3600)
			p.push("restartPolicy/backoffLimit/activeDeadlineSeconds/ttlSecondsAfterFinished are not the defaults");
		if (c.terminationMessagePolicy !== "FallbackToLogsOnError") p.push("terminationMessagePolicy");
		return p;
	},
	// migrations.chartDir: examples/migrations copied into the chart
	"chartdir": function the_ConfigMap_holds_the_folder_read_with_Files_Glob(objs) {
		const cm = find(objs, "ConfigMap").find((c) => !ann(c)["helm.sh/hook"]);
		return cm && sameData(cm.data, exampleData()) ? [] : ["the ConfigMap does not hold examples/migrations"];
	},
	"existing": function a_plain_Job_per_revision_an_existing_ConfigMap_the_URL_as_a_0440_file(objs) {
		const p = [];
		if (find(objs, "ConfigMap").length) p.push("a ConfigMap was rendered");
		const [j] = find(objs, "Job");
		if (!j) return ["no Job"];
		if (Object.keys(ann(j)).some((k) => k.startsWith("helm.sh/hook"))) p.push("hook annotations");
		if (!/-migrate-2$/.test(j.metadata.name)) p.push(`name ${j.metadata.name} (revision 2)`);
		if ("ttlSecondsAfterFinished" in j.spec) p.push("ttlSecondsAfterFinished: null did not remove it");
		const v = vol(j, "dbready-migrations");
		if (!v || v.projected.sources[0].configMap.name !== "app-migrations") p.push("does not mount app-migrations");
		const s = vol(j, "dbready-database-url");
		if (!s || s.secret.secretName !== "app-db" || s.secret.defaultMode !== 0o440 ||
			s.secret.items[0].key !== "database-url" || s.secret.items[0].path !== "database_url") p.push("the URL Secret volume");
		const e = env(dbr(j));
		if (e.DATABASE_URL_FILE !== "/run/secrets/dbready/database_url" || e.DATABASE_URL) p.push("DATABASE_URL_FILE");
		if ((dbr(j).volumeMounts || []).every((m) => m.mountPath !== "/run/secrets/dbready")) p.push("the Secret is not mounted");
		if (podOf(j).spec.securityContext.fsGroup !== 65532) p.push("fsGroup");
		return p;
	},
	"image": function an_image_volume_Argo_CD_PreSync_every_option_as_a_variable(objs) {
		const p = [];
		const [j] = find(objs, "Job");
		if (!j) return ["no Job"];
		if (find(objs, "ConfigMap").length) p.push("a ConfigMap was rendered");
		const a = ann(j);
		if (a["argocd.argoproj.io/hook"] !== "PreSync" || a["argocd.argoproj.io/hook-delete-policy"] !== "BeforeHookCreation,HookSucceeded") p.push("Argo CD annotations");
		if (a["example.com/owner"] !== "platform") p.push("job.annotations");
		const v = vol(j, "dbready-migrations");
		if (!v || !v.image || v.image.reference !== "ghcr.io/OWNER/app-migrations:1.0.0") p.push("image volume");
		const c = dbr(j), e = env(c);
		if (e.DBREADY_DIR !== "/migrations/drizzle") p.push(`DBREADY_DIR ${e.DBREADY_DIR}`);
		const want = { DBREADY_FORMAT: "drizzle", DBREADY_TIMEOUT: "2m", DBREADY_BACKOFF_BASE: "200ms", DBREADY_BACKOFF_CAP: "2s",
			DBREADY_CONNECT_TIMEOUT: "3s", DBREADY_LOCK_TIMEOUT: "10m", DBREADY_STATEMENT_TIMEOUT: "15m", DBREADY_TX: "all",
			DBREADY_HISTORY_TABLE: "drizzle.__drizzle_migrations", DBREADY_ALLOW_OUT_OF_ORDER: "true", DBREADY_DRY_RUN: "true",
			DBREADY_LOG_FORMAT: "json", DBREADY_LOG_LEVEL: "debug", DBREADY_TERMINATION_LOG: "/dev/termination-log", TZ: "UTC",
			DBREADY_AUTH: "gcp", DBREADY_WAIT_FOR: "http://auth:8080/healthz,tcp://redis:6379",
			DBREADY_HTTP_CA_FILE: "/etc/ssl/certs/ca-certificates.crt", DBREADY_NOTIFY_FORMAT: "slack",
			DBREADY_NOTIFY_REQUIRED: "true", DBREADY_NOTIFY_URL_FILE: "/run/secrets/dbready-notify/url" };
		for (const [k, val] of Object.entries(want))
			if (e[k] !== val) p.push(`${k}=${e[k]}, want ${val}`);
		if (!/^ghcr\.io\/OWNER\/dbready:[^@]+@sha256:0{64}$/.test(c.image)) p.push(`image ${c.image}`);
		const n = vol(j, "dbready-notify-url");
		if (!n || n.secret.secretName !== "app-webhook" || n.secret.items[0].path !== "url" ||
			!(c.volumeMounts || []).some((m) => m.name === "dbready-notify-url" && m.mountPath === "/run/secrets/dbready-notify"))
			p.push("the webhook URL Secret is not mounted at /run/secrets/dbready-notify/url");
		const s = podOf(j).spec;
		if (!s.tolerations || !s.nodeSelector || !s.imagePullSecrets) p.push("tolerations/nodeSelector/imagePullSecrets");
		return p;
	},
	"nojob": function only_the_ConfigMap(objs) {
		return objs.map((o) => o.kind).join(",") === "ConfigMap" ? [] : [`objects ${objs.map(describe)}`];
	},
	"app-await": function the_apps_initContainer_awaits_the_hook_Job_and_mounts_the_regular_ConfigMap(objs) {
		const p = [];
		const [d] = find(objs, "Deployment");
		if (!d) return ["no Deployment"];
		const c = (podOf(d).spec.initContainers || []).find((x) => x.name === "dbready");
		if (!c || JSON.stringify(c.args) !== '["await","--timeout","10m"]' || c.restartPolicy) p.push(`initContainer ${JSON.stringify(c && c.args)}`);
		const regular = find(objs, "ConfigMap").find((x) => !ann(x)["helm.sh/hook"]);
		const v = vol(d, "dbready-migrations");
		if (!regular || !v || v.projected.sources[0].configMap.name !== regular.metadata.name) p.push("does not mount the release's ConfigMap");
		if (!/^[0-9a-f]{64}$/.test(ann(podOf(d))["checksum/migrations"] || "")) p.push("no checksum/migrations annotation");
		if (find(objs, "Job").length !== 1) p.push("no hook Job");
		return p;
	},
	"app-run": function with_job_enabled_false_the_initContainer_runs_the_migrations(objs) {
		const [d] = find(objs, "Deployment");
		const c = d && (podOf(d).spec.initContainers || []).find((x) => x.name === "dbready");
		const p = [];
		if (!c || JSON.stringify(c.args) !== '["run"]') p.push(`args ${JSON.stringify(c && c.args)}`);
		if (find(objs, "Job").length) p.push("a Job was rendered");
		return p;
	},
	"app-sidecar": function the_native_sidecar_runs_run_stay_with_the_probe(objs) {
		const [d] = find(objs, "Deployment");
		const c = d && (podOf(d).spec.initContainers || []).find((x) => x.name === "dbready");
		if (!c) return ["no dbready initContainer"];
		const p = [];
		if (c.restartPolicy !== "Always") p.push(`restartPolicy ${c.restartPolicy}`);
		if (JSON.stringify(c.args) !== '["run","--stay"]') p.push(`args ${JSON.stringify(c.args)}`);
		const pr = c.startupProbe || {};
		if (JSON.stringify(pr.exec && pr.exec.command) !== '["/dbready","probe"]' || pr.timeoutSeconds !== 10 ||
			pr.periodSeconds !== 2 || pr.failureThreshold !== 150) p.push(`startupProbe ${JSON.stringify(pr)}`);
		return p;
	},
};

// --- rendered scenarios ----------------------------------------------------------------------------
if (RENDERED) {
	const scenarios = readdirSync(RENDERED).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5)).sort();
	check("render.go rendered the scenarios", () => (scenarios.length ? [] : ["none"]));
	const rendered = {};
	for (const s of scenarios) {
		let objs = [];
		check(`render ${s}: the output parses (YAML 1.1, as Kubernetes reads it)`, () => {
			objs = parseK8sYaml(readFileSync(join(RENDERED, `${s}.yaml`), "utf8"), s);
			return objs.length ? [] : ["no object"];
		});
		rendered[s] = objs;
		const vfile = join(RENDERED, `${s}.values.json`);
		if (existsSync(vfile)) {
			const merged = JSON.parse(readFileSync(vfile, "utf8")); // chart path → its values
			const path = Object.keys(merged).find((k) => k === "dbready" || k.endsWith("/charts/dbready"));
			check(`render ${s}: the dbready chart's merged values (${path}) validate against values.schema.json`, () =>
				path ? schemaErrors(merged[path]) : ["no dbready chart in the values"]);
		}
		const results = [];
		for (const o of objs)
			results.push([o, await validateObject(o)]);
		for (const [o, problems] of results)
			check(`render ${s}: ${describe(o)} validates against the Kubernetes OpenAPI schema, no unknown field`, () => problems);
		for (const o of objs.filter((x) => podOf(x))) {
			const pod = podOf(o);
			check(`render ${s}: ${describe(o)} passes the Pod Security Standard "restricted"`, () =>
				restrictedViolations(pod.metadata, pod.spec));
			check(`render ${s}: ${describe(o)}: the dbready container is hardened`, () => {
				const c = [...(pod.spec.initContainers || []), ...(pod.spec.containers || [])].find((x) => x.name === "dbready");
				return c ? dbreadyContainerProblems(c, pod.spec) : ["no dbready container"];
			});
		}
		const notes = join(RENDERED, `${s}.notes.txt`);
		if (existsSync(notes))
			check(`render ${s}: NOTES.txt renders and names the Secret`, () =>
				/the Secret app-db/.test(readFileSync(notes, "utf8")) ? [] : ["no \"the Secret app-db\""]);
	}
	for (const [s, fn] of Object.entries(EXPECT))
		check(`render ${s}: ${fn.name.replace(/_/g, " ")}`, () =>
			rendered[s] ? fn(rendered[s]) : [`scenario ${s} was not rendered`]);
}

process.exitCode = exitStatus();
