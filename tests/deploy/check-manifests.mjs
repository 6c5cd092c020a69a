// check-manifests.mjs REPO BUILT - manifests/: every YAML file parses (as Kubernetes reads
// it), every object validates against the Kubernetes OpenAPI schema with no unknown field,
// every pod template passes the Pod Security Standard "restricted", the dbready containers
// are hardened and wired as each pattern needs, and BUILT (the output of `kubectl kustomize
// manifests/`) holds the same objects plus the migrations ConfigMap, referenced by its
// hashed name from every pod. Result lines: see lib/report.mjs.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { check, exitStatus, loadK8sYaml, parseK8sYaml } from "./lib/report.mjs";
import { describe, validateObject } from "./lib/k8s.mjs";
import { podOf, restrictedViolations } from "./lib/pss.mjs";
import { dbreadyContainerProblems } from "./lib/hardening.mjs";

const [REPO, BUILT] = process.argv.slice(2);
const DIR = join(REPO, "manifests");
const VERSION = /^VERSION\s*\?=\s*(\S+)/m.exec(readFileSync(join(REPO, "Makefile"), "utf8"))[1];
const IMAGE = `ghcr.io/OWNER/dbready:${VERSION}`;

function walkFiles(dir) {
	const out = [];
	for (const e of readdirSync(dir).sort()) {
		const p = join(dir, e);
		if (statSync(p).isDirectory())
			out.push(...walkFiles(p));
		else
			out.push(p);
	}
	return out;
}

// --- the files as written --------------------------------------------------------------------
const resourceFiles = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
const objects = []; // {file, obj}
for (const f of resourceFiles) {
	let docs = [];
	check(`manifests/${f} parses as YAML`, () => {
		docs = loadK8sYaml(join(DIR, f));
		return docs.length ? [] : ["no document"];
	});
	for (const obj of docs)
		objects.push({ file: f, obj });
}
const results = [];
for (const { file, obj } of objects)
	results.push([file, obj, await validateObject(obj)]);
// (check() is synchronous: the asynchronous validation ran above)
for (const [file, obj, problems] of results)
	check(`manifests/${file}: ${describe(obj)} validates against the Kubernetes OpenAPI schema, no unknown field`, () => problems);

const kinds = objects.map(({ obj }) => obj.kind).sort().join(",");
check("manifests: three Deployments and a Job", () =>
	kinds === "Deployment,Deployment,Deployment,Job" ? [] : [`kinds: ${kinds}`]);

for (const { file, obj } of objects) {
	const pod = podOf(obj);
	check(`manifests/${file}: ${describe(obj)} passes the Pod Security Standard "restricted"`, () =>
		pod ? restrictedViolations(pod.metadata, pod.spec) : ["no pod template"]);
}

// --- each pattern's dbready container --------------------------------------------------------
function dbready(obj) {
	const spec = podOf(obj).spec;
	return [...(spec.initContainers || []), ...(spec.containers || [])].find((c) => c.name === "dbready");
}
const byFile = Object.fromEntries(objects.map(({ file, obj }) => [file, obj]));
for (const [file, obj] of Object.entries(byFile)) {
	check(`manifests/${file}: the dbready container is hardened (uid 65532, read-only root, no capabilities, image ${IMAGE})`,
		() => {
			const c = dbready(obj);
			if (!c)
				return ["no container named dbready"];
			const p = dbreadyContainerProblems(c, podOf(obj).spec);
			if (c.image !== IMAGE)
				p.push(`image ${c.image}, want ${IMAGE} (the Makefile's VERSION)`);
			return p;
		});
}
const role = (file, fn) => check(`manifests/${file}: ${fn.name.replace(/_/g, " ")}`, () => fn(byFile[file]));
role("deployment.yaml", function dbready_is_an_initContainer_running_run(o) {
	const s = podOf(o).spec;
	const c = (s.initContainers || []).find((x) => x.name === "dbready");
	return c && JSON.stringify(c.args) === '["run"]' && !c.restartPolicy ? [] : ["not an initContainer with args [run]"];
});
role("job.yaml", function the_Job_runs_once_with_the_URL_from_a_secret_file(o) {
	const p = [];
	const s = podOf(o).spec;
	const c = dbready(o);
	if (s.restartPolicy !== "Never") p.push(`restartPolicy ${s.restartPolicy}`);
	for (const k of ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"])
		if (typeof o.spec[k] !== "number") p.push(`spec.${k} is not set`);
	const env = Object.fromEntries((c.env || []).map((e) => [e.name, e.value]));
	const file = env.DATABASE_URL_FILE || "";
	const mount = (c.volumeMounts || []).find((m) => file.startsWith(m.mountPath + "/"));
	const vol = mount && (s.volumes || []).find((v) => v.name === mount.name);
	if (!vol || !vol.secret) p.push("DATABASE_URL_FILE is not in a mounted Secret volume");
	else {
		const item = (vol.secret.items || []).find((i) => mount.mountPath + "/" + i.path === file);
		if (!item) p.push(`no item of the Secret is mounted at ${file}`);
		if (vol.secret.defaultMode !== 0o440) p.push(`defaultMode ${vol.secret.defaultMode}, want 0440 (288)`);
		if ((s.securityContext || {}).fsGroup !== 65532) p.push("fsGroup is not 65532: uid 65532 cannot read a 0440 root-owned file");
	}
	return p;
});
role("deployment-await.yaml", function dbready_awaits_the_Job(o) {
	const c = (podOf(o).spec.initContainers || []).find((x) => x.name === "dbready");
	return c && c.args && c.args[0] === "await" && !c.restartPolicy ? [] : ["no initContainer running await"];
});
role("deployment-sidecar.yaml", function dbready_is_a_native_sidecar_with_a_startupProbe(o) {
	const p = [];
	const c = (podOf(o).spec.initContainers || []).find((x) => x.name === "dbready");
	if (!c) return ["no dbready initContainer"];
	if (c.restartPolicy !== "Always") p.push(`restartPolicy ${c.restartPolicy}`);
	if (!(c.args || []).includes("--stay")) p.push("no --stay");
	const cmd = c.startupProbe && c.startupProbe.exec && c.startupProbe.exec.command;
	if (JSON.stringify(cmd) !== '["/dbready","probe"]') p.push(`startupProbe exec ${JSON.stringify(cmd)}`);
	else if (!(c.startupProbe.timeoutSeconds >= 6))
		p.push("startupProbe.timeoutSeconds must exceed dbready's 5 s connect timeout");
	return p;
});

// --- the migrations: the folder, the kustomization's generator, the pods' volume ------------
const kust = loadK8sYaml(join(DIR, "kustomization.yaml"))[0];
const migFiles = walkFiles(join(DIR, "migrations")).map((p) => relative(DIR, p));
check("manifests/kustomization.yaml lists every resource file", () => {
	const want = resourceFiles.join(",");
	const got = [...(kust.resources || [])].sort().join(",");
	return want === got ? [] : [`resources ${got}, files ${want}`];
});
check("manifests/kustomization.yaml: configMapGenerator app-migrations lists every file of manifests/migrations", () => {
	const gen = (kust.configMapGenerator || []).find((g) => g.name === "app-migrations");
	if (!gen) return ["no configMapGenerator app-migrations"];
	const got = [...gen.files].sort().join(",");
	const want = migFiles.filter((f) => /\.sql$/.test(f) || f === "migrations/meta/_journal.json").sort().join(",");
	return got === want ? [] : [`generator files ${got}`, `folder ${want}`];
});
check(`manifests/kustomization.yaml: images sets the dbready tag to ${VERSION}`, () => {
	const img = (kust.images || []).find((i) => i.name === "ghcr.io/OWNER/dbready");
	return img && String(img.newTag) === VERSION ? [] : [`images: ${JSON.stringify(kust.images)}`];
});

// --- what kubectl kustomize built ------------------------------------------------------------
let built = [];
check("kubectl kustomize manifests/: the output parses", () => {
	built = parseK8sYaml(readFileSync(BUILT, "utf8"), BUILT);
	return built.length ? [] : ["empty"];
});
const builtResults = [];
for (const obj of built)
	builtResults.push([obj, await validateObject(obj)]);
for (const [obj, problems] of builtResults)
	check(`kustomize output: ${describe(obj)} validates against the Kubernetes OpenAPI schema, no unknown field`, () => problems);
const cm = built.find((o) => o.kind === "ConfigMap");
check("kustomize output: the ConfigMap holds each migration file under its name and the journal under _journal.json", () => {
	if (!cm) return ["no ConfigMap"];
	const p = [];
	const want = {};
	for (const f of migFiles)
		if (/\.sql$/.test(f)) want[f.replace(/^migrations\//, "")] = f;
	want["_journal.json"] = "migrations/meta/_journal.json";
	for (const [key, f] of Object.entries(want))
		if (cm.data[key] !== readFileSync(join(DIR, f), "utf8")) p.push(`key ${key} differs from ${f}`);
	const extra = Object.keys(cm.data).filter((k) => !(k in want));
	if (extra.length) p.push(`extra keys ${extra}`);
	return p;
});
for (const obj of built.filter((o) => podOf(o))) {
	check(`kustomize output: ${describe(obj)} mounts ConfigMap ${cm && cm.metadata.name} as /migrations with the journal under meta/`, () => {
		const s = podOf(obj).spec;
		const v = (s.volumes || []).find((x) => x.name === "migrations");
		const src = v && v.projected && v.projected.sources;
		if (!src || src.length !== 2) return ["the migrations volume is not a projected volume of two sources"];
		const p = [];
		if (src[0].configMap.name !== cm.metadata.name || src[0].configMap.items)
			p.push("source 1 is not the whole ConfigMap");
		const items = src[1].configMap.items || [];
		if (src[1].configMap.name !== cm.metadata.name || items.length !== 1 ||
			items[0].key !== "_journal.json" || items[0].path !== "meta/_journal.json" || src[1].configMap.optional !== true)
			p.push("source 2 is not the optional _journal.json → meta/_journal.json item");
		return p;
	});
	check(`kustomize output: ${describe(obj)} passes the Pod Security Standard "restricted"`, () =>
		restrictedViolations(podOf(obj).metadata, podOf(obj).spec));
	check(`kustomize output: ${describe(obj)} runs image ${IMAGE}`, () =>
		dbready(obj) && dbready(obj).image === IMAGE ? [] : [`image ${dbready(obj) && dbready(obj).image}`]);
}

process.exitCode = exitStatus();
