// migrate.mjs FOLDER: apply a drizzle-kit 1.x migrations folder with drizzle-orm 1.x's own
// migrator (drizzle-orm/node-postgres migrate(), what `drizzle-kit migrate` runs), connecting
// to $DATABASE_URL. The URL comes from the environment, never argv. drizzle-orm 1.x takes the
// client as drizzle({ client }) (drizzle(client) would open a pool of its own). Prints nothing
// on success; on failure the error (message, code, position; never the URL) and exit 1.
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

const folder = process.argv[2];
if (!folder || !process.env.DATABASE_URL) {
	console.error("usage: DATABASE_URL=... node migrate.mjs MIGRATIONS_FOLDER");
	process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
try {
	await client.connect();
	await migrate(drizzle({ client }), { migrationsFolder: folder });
} catch (e) {
	const c = e.cause ?? e;
	console.error(`migrate failed: ${e.message}`);
	if (c !== e) console.error(`cause: ${c.message} (SQLSTATE ${c.code ?? "?"}, position ${c.position ?? "?"})`);
	process.exitCode = 1;
} finally {
	await client.end().catch(() => {});
}
