// check-yaml.mjs REPO - every YAML file of the deployment surfaces parses, without duplicate
// keys: charts/ (not templates/, which are Go templates, rendered by deploy_chart.sh),
// manifests/, examples/compose/, examples/github-actions/, .github/, action.yml and
// tests/deploy's charts and overlays. Kubernetes and helm files as YAML 1.1 (go-yaml), the
// others as YAML 1.2.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import YAML from "yaml";
import { check, exitStatus } from "./lib/report.mjs";

const [REPO] = process.argv.slice(2);
const ROOTS = ["charts", "manifests", "examples/compose", "examples/github-actions", ".github", "action.yml",
	"tests/deploy/app-chart", "tests/deploy/kind-overlay"];

function walk(p, out) {
	const st = statSync(p);
	if (st.isDirectory()) {
		for (const e of readdirSync(p).sort()) {
			if (e === "node_modules" || e === "templates")
				continue;
			walk(join(p, e), out);
		}
	} else if (/\.ya?ml$/.test(p)) {
		out.push(p);
	}
}
const files = [];
for (const r of ROOTS)
	walk(join(REPO, r), files);
const must = ["charts/dbready/Chart.yaml", "charts/dbready/values.yaml", "manifests/kustomization.yaml",
	"examples/compose/docker-compose.yml", ".github/workflows/ci.yml", "action.yml"];
check(`YAML files found (${files.length}), the main ones among them`, () =>
	must.filter((m) => !files.includes(join(REPO, m))).map((m) => `${m} not found`));
for (const f of files) {
	const rel = relative(REPO, f);
	const version = /^(charts|manifests|tests\/deploy)\//.test(rel) ? "1.1" : "1.2";
	check(`${rel} parses (YAML ${version}, no duplicate key)`, () =>
		YAML.parseAllDocuments(readFileSync(f, "utf8"), { version, uniqueKeys: true })
			.flatMap((d) => d.errors.map((e) => e.message)));
}

process.exitCode = exitStatus();
