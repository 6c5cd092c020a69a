// check-format-snippets.mjs REPO OUT PAGE... - the per-format Kubernetes snippets of the pages
// (README.md's Formats section, docs/switching.md): each mark `<!-- format snippet: FORMAT -->`
// (or FORMAT,FORMAT...) is followed by a ```sh block that creates the Secret (`kubectl create
// secret generic NAME` with `--from-literal=KEY='VALUE'` lines) and a ```yaml block
// `initContainers:` with the dbready container. Checked here: the sh block creates a Secret;
// the container, in a Pod with the volumes it mounts, is a valid Kubernetes object (the OpenAPI
// schema, no unknown field); it is named dbready, mounts the migrations read-only, and every
// secretKeyRef names the Secret and a key the sh block creates. Written to OUT (JSON) for
// deploy_readme.sh, which then runs dbready with exactly that environment:
// [{format, where, args, mount, env: [[NAME, VALUE]]}] (a secretKeyRef resolved to the
// literal's value), one entry per format the mark names.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { validateObject } from "./lib/k8s.mjs";
import { check, exitStatus } from "./lib/report.mjs";

const [REPO, OUT, ...PAGES] = process.argv.slice(2);

// the fenced blocks of TEXT after each mark: {format, line, sh: [lines], yaml: [lines]}
function snippets(text) {
	const L = text.split("\n");
	const out = [];
	for (let i = 0; i < L.length; i++) {
		const m = /^<!-- format snippet: (\S+) -->$/.exec(L[i]);
		if (!m)
			continue;
		const s = { format: m[1], formats: m[1].split(","), line: i + 1 };
		let j = i + 1;
		for (const lang of ["sh", "yaml"]) {
			while (j < L.length && !/^```/.test(L[j]) && !/^<!-- format snippet/.test(L[j])) j++;
			if (L[j] !== "```" + lang)
				break;
			let k = j + 1;
			while (k < L.length && L[k] !== "```") k++;
			s[lang] = L.slice(j + 1, k);
			j = k + 1;
		}
		out.push(s);
		i = j - 1;
	}
	return out;
}

// kubectl create secret generic NAME --from-literal=KEY='VALUE' ... (backslash-continued)
function secretOf(sh) {
	const cmd = sh.join("\n").replace(/\\\n/g, " ");
	const m = /kubectl create secret generic (\S+)((?:\s+--from-literal=\S+='[^']*')+)\s*$/m.exec(cmd);
	if (!m)
		return null;
	const keys = new Map();
	for (const l of m[2].matchAll(/--from-literal=([^=\s]+)='([^']*)'/g))
		keys.set(l[1], l[2]);
	return { name: m[1], keys };
}

const result = [];
for (const page of PAGES) {
	const text = readFileSync(join(REPO, page), "utf8");
	const found = snippets(text);
	check(`${page}: has format snippets (${found.map((s) => s.format).join(" ")})`, () =>
		(found.length ? [] : ["no <!-- format snippet: FORMAT --> mark"]));
	for (const s of found) {
		const where = `${page}:${s.line} (${s.format})`;
		if (!check(`${where}: a sh block and a yaml block follow the mark`, () =>
			(s.sh && s.yaml ? [] : ["want ```sh (kubectl create secret) then ```yaml (initContainers:)"])))
			continue;
		const secret = secretOf(s.sh);
		if (!check(`${where}: the sh block creates a Secret from literals`, () =>
			(secret ? [] : ["no `kubectl create secret generic NAME --from-literal=KEY='VALUE'...` command"])))
			continue;
		let doc;
		if (!check(`${where}: the yaml block parses (YAML 1.1)`, () => {
			const d = YAML.parseDocument(s.yaml.join("\n"), { version: "1.1", uniqueKeys: true });
			if (d.errors.length)
				return d.errors.map((e) => e.message);
			doc = d.toJS();
			return doc && Array.isArray(doc.initContainers) && doc.initContainers.length === 1
				? [] : ["want `initContainers:` with one container"];
		}))
			continue;
		const c = doc.initContainers[0];
		const mounts = c.volumeMounts || [];
		const pod = {
			apiVersion: "v1", kind: "Pod", metadata: { name: "app" },
			spec: {
				initContainers: doc.initContainers,
				containers: [{ name: "app", image: "app:1" }],
				volumes: mounts.map((v) => ({ name: v.name, configMap: { name: v.name } })),
			},
		};
		const problems = await validateObject(pod);
		check(`${where}: the container is a valid Kubernetes initContainer (schema, no unknown field)`, () => problems);
		check(`${where}: it is dbready, with the migrations mounted read-only`, () => {
			const p = [];
			if (c.name !== "dbready") p.push(`name ${c.name}`);
			if (!/^ghcr\.io\/OWNER\/dbready:/.test(c.image || "")) p.push(`image ${c.image}`);
			if (mounts.length !== 1 || mounts[0].readOnly !== true) p.push("want one volumeMount, readOnly: true");
			return p;
		});
		const env = [];
		check(`${where}: every secretKeyRef is a key of the Secret ${secret.name} the sh block creates`, () => {
			const p = [];
			for (const e of c.env || []) {
				const ref = e.valueFrom && e.valueFrom.secretKeyRef;
				if (ref) {
					if (ref.name !== secret.name) p.push(`${e.name}: Secret ${ref.name}, not ${secret.name}`);
					else if (!secret.keys.has(ref.key)) p.push(`${e.name}: no key ${ref.key} in ${secret.name}`);
					else env.push([e.name, secret.keys.get(ref.key)]);
				} else if (typeof e.value === "string") {
					env.push([e.name, e.value]);
				} else {
					p.push(`${e.name}: neither value nor secretKeyRef`);
				}
			}
			return p;
		});
		for (const format of s.formats)
			result.push({ format, where, args: c.args || [], mount: mounts[0] && mounts[0].mountPath, env });
	}
}
writeFileSync(OUT, JSON.stringify(result, null, 1));
process.exitCode = exitStatus();
