// hash.mjs FILE...: print "<sha256>  FILE" per file, hashed exactly as drizzle-orm's
// readMigrationFiles does: sha256 over fs.readFileSync(f).toString(), i.e. the bytes decoded
// as UTF-8 (invalid sequences become U+FFFD) and encoded again.
import crypto from "node:crypto";
import fs from "node:fs";

for (const f of process.argv.slice(2)) {
	const hash = crypto.createHash("sha256").update(fs.readFileSync(f).toString()).digest("hex");
	console.log(`${hash}  ${f}`);
}
