// report.mjs - the result lines the deploy_*.sh tests read: "PASS\tname" or
// "FAIL\tname\tdetail" (one line each, detail without newlines), plus helpers to load YAML the
// way Kubernetes does.
import { readFileSync } from "node:fs";
import YAML from "yaml";

let failures = 0;

export function pass(name) {
	process.stdout.write(`PASS\t${name}\n`);
}

export function fail(name, detail = "") {
	failures++;
	const d = String(detail).replace(/\s*\n\s*/g, " | ");
	process.stdout.write(`FAIL\t${name}\t${d}\n`);
}

// check(name, fn): fn returns nothing (pass) or a string / array of strings (the problems)
export function check(name, fn) {
	let problems;
	try {
		problems = fn();
	} catch (e) {
		problems = [`exception: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" ") : e}`];
	}
	if (problems === undefined || problems === null || problems === true ||
		(Array.isArray(problems) && problems.length === 0)) {
		pass(name);
		return true;
	}
	fail(name, Array.isArray(problems) ? problems.slice(0, 12).join("; ") : String(problems));
	return false;
}

export function exitStatus() {
	return failures ? 1 : 0;
}

// Kubernetes reads YAML as YAML 1.1 (sigs.k8s.io/yaml on go-yaml): 0440 is octal, yes/no are
// booleans. Every document, without empty ones.
export function parseK8sYaml(text, file) {
	const docs = YAML.parseAllDocuments(text, { version: "1.1" });
	const out = [];
	for (const d of docs) {
		if (d.errors.length)
			throw new Error(`${file}: ${d.errors.map((e) => e.message).join("; ")}`);
		const v = d.toJS({ maxAliasCount: 100 });
		if (v !== null && v !== undefined)
			out.push(v);
	}
	return out;
}

export function loadK8sYaml(file) {
	return parseK8sYaml(readFileSync(file, "utf8"), file);
}

// One document, with duplicate keys and other errors reported: YAML 1.2 (compose, GitHub
// workflows) or, with version "1.1", as Helm reads Chart.yaml and values.yaml (go-yaml).
export function loadYaml(file, version = "1.2") {
	const text = readFileSync(file, "utf8");
	const doc = YAML.parseDocument(text, { uniqueKeys: true, version });
	if (doc.errors.length)
		throw new Error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
	return doc.toJS();
}
