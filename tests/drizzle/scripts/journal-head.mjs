// journal-head.mjs JOURNAL K: keep only the first K entries of a drizzle-kit meta/_journal.json
// (rewritten in place, formatted as drizzle-kit writes it), to let drizzle-orm apply a prefix.
import fs from "node:fs";

const [file, k] = process.argv.slice(2);
const n = Number(k);
const journal = JSON.parse(fs.readFileSync(file, "utf8"));
if (!Number.isInteger(n) || n < 0 || n > journal.entries.length) {
	console.error(`journal-head: K must be 0..${journal.entries.length}, got "${k}"`);
	process.exit(2);
}
journal.entries = journal.entries.slice(0, n);
fs.writeFileSync(file, JSON.stringify(journal, null, 2));
