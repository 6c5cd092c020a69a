// chart-readme.mjs REPO [--write] - print charts/dbready/README.md's values table as
// values.yaml and values.schema.json define it; --write puts it into the README between its
// markers. check-chart.mjs fails when the README's table differs from this one.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadChart, TABLE_END, TABLE_START, valuesTable } from "./lib/chart.mjs";

const [REPO, mode] = process.argv.slice(2);
const chart = loadChart(REPO);
const table = valuesTable(chart);
if (mode === "--write") {
	const file = join(chart.dir, "README.md");
	const readme = readFileSync(file, "utf8");
	const a = readme.indexOf(TABLE_START), b = readme.indexOf(TABLE_END);
	if (a < 0 || b < a)
		throw new Error(`${file}: no values table markers`);
	writeFileSync(file, readme.slice(0, a + TABLE_START.length) + "\n" + table + "\n" + readme.slice(b));
} else {
	process.stdout.write(table + "\n");
}
