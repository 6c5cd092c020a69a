// check-readme.mjs REPO - the README snippets are the tested files: in README.md's "## Using
// it" section and in docs/deploy-*.md every code block is marked `<!-- snippet: PATH -->`, and
// so are some blocks of charts/dbready/README.md; each marked block's lines appear, in order and
// contiguous, in PATH (indented by any fixed amount there), and a YAML block (not a Helm
// template) parses. Each deployment surface has its snippet in README.md or docs/deploy-*.md,
// and README.md quotes one per way in (Kubernetes, Helm, compose, GitHub Actions). Every other
// YAML block of README.md and docs/**/*.md (examples written for the page) parses too.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { check, exitStatus } from "./lib/report.mjs";

const [REPO] = process.argv.slice(2);

// blocks of TEXT: {marker, lang, lines, line}
function blocks(text) {
	const out = [];
	const L = text.split("\n");
	for (let i = 0; i < L.length; i++) {
		const m = /^```(\w*)$/.exec(L[i]);
		if (!m || !m[1])
			continue;
		let j = i + 1;
		while (j < L.length && L[j] !== "```") j++;
		let k = i - 1;
		while (k >= 0 && !L[k].trim()) k--;
		const mk = k >= 0 ? /^<!-- snippet: (\S+) -->$/.exec(L[k]) : null;
		out.push({ marker: mk && mk[1], lang: m[1], lines: L.slice(i + 1, j), line: i + 1 });
		i = j;
	}
	return out;
}

const indent = (s) => s.length - s.trimStart().length;
// the block's lines contiguous in FILE, each shifted right by one fixed amount
function quotedIn(blockLines, file) {
	const F = readFileSync(file, "utf8").split("\n");
	const first = blockLines[0];
	for (let i = 0; i + blockLines.length <= F.length; i++) {
		if (F[i].trim() !== first.trim() || indent(F[i]) < indent(first))
			continue;
		const pad = " ".repeat(indent(F[i]) - indent(first));
		if (blockLines.every((b, j) => (b.trim() === "" ? F[i + j].trim() === "" : F[i + j] === pad + b)))
			return true;
	}
	return false;
}

function checkFile(readmePath, text, requireMarked) {
	for (const b of blocks(text)) {
		const where = `${readmePath}:${b.line}`;
		if (!b.marker) {
			if (requireMarked)
				check(`${where}: the ${b.lang} block is a marked snippet`, () => ["no <!-- snippet: PATH --> before it"]);
			continue;
		}
		const file = join(REPO, b.marker);
		check(`${where}: the ${b.lang} block is quoted from ${b.marker}`, () =>
			!existsSync(file) ? [`${b.marker} does not exist`]
				: quotedIn(b.lines, file) ? [] : ["its lines are not a contiguous part of the file"]);
		if (b.lang === "yaml" && !b.lines.some((l) => l.includes("{{"))) // a template renders in deploy_chart.sh
			check(`${where}: the yaml block parses`, () => {
				const d = YAML.parseDocument(b.lines.join("\n"), { version: "1.1" });
				return d.errors.map((e) => e.message);
			});
	}
}

const readme = readFileSync(join(REPO, "README.md"), "utf8");
const using = (readme.split(/^## Using it$/m)[1] || "").split(/^## /m)[0];
check("README.md has a \"## Using it\" section", () => (using.trim() ? [] : ["missing"]));
checkFile("README.md (Using it)", using, true);
const inReadme = new Set(blocks(using).map((b) => b.marker).filter(Boolean));
for (const f of ["manifests/deployment.yaml", "charts/dbready/README.md", "examples/compose/docker-compose.yml",
	"examples/github-actions/migrate.yml"])
	check(`README.md quotes ${f}`, () => (inReadme.has(f) ? [] : ["no snippet from it"]));
// the full deployment pages: docs/deploy-*.md, every block a marked snippet
const docs = join(REPO, "docs");
const deployPages = existsSync(docs) ? readdirSync(docs).filter((f) => /^deploy-.*\.md$/.test(f)).sort() : [];
check("docs/ has the deployment pages (docs/deploy-*.md)", () => (deployPages.length ? [] : ["none"]));
const marked = new Set(inReadme);
for (const f of deployPages) {
	const text = readFileSync(join(docs, f), "utf8");
	checkFile(`docs/${f}`, text, true);
	for (const b of blocks(text)) if (b.marker) marked.add(b.marker);
}
for (const f of ["manifests/deployment.yaml", "manifests/deployment-await.yaml", "manifests/deployment-sidecar.yaml",
	"charts/dbready/README.md", "examples/compose/docker-compose.yml", "examples/github-actions/migrate.yml"])
	check(`README.md or docs/deploy-*.md quotes ${f}`, () => (marked.has(f) ? [] : ["no snippet from it"]));
// every YAML block of the other pages parses (all its documents)
function mdFiles(dir) {
	const out = [];
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const p = join(dir, e.name);
		if (e.isDirectory()) out.push(...mdFiles(p));
		else if (e.name.endsWith(".md")) out.push(p);
	}
	return out;
}
for (const p of [join(REPO, "README.md"), ...(existsSync(docs) ? mdFiles(docs).sort() : [])])
	for (const b of blocks(readFileSync(p, "utf8"))) {
		if (b.lang !== "yaml" || b.marker || b.lines.some((l) => l.includes("{{")))
			continue;
		check(`${p.slice(REPO.length + 1)}:${b.line}: the yaml block parses`, () =>
			YAML.parseAllDocuments(b.lines.join("\n"), { version: "1.1" }).flatMap((d) => d.errors.map((e) => e.message)));
	}
checkFile("charts/dbready/README.md", readFileSync(join(REPO, "charts/dbready/README.md"), "utf8"), false);
check("charts/dbready/README.md quotes tests/deploy/app-chart (the templates a parent chart includes)", () =>
	blocks(readFileSync(join(REPO, "charts/dbready/README.md"), "utf8")).some((b) => b.marker === "tests/deploy/app-chart/templates/deployment.yaml")
		? [] : ["no snippet from tests/deploy/app-chart/templates/deployment.yaml"]);

process.exitCode = exitStatus();
