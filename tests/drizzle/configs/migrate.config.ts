// drizzle-kit config for `drizzle-kit migrate`: the folder from DRIZZLE_OUT, the database from
// DATABASE_URL (the environment, never argv). Run from tests/drizzle (see v1.config.ts).
import { relative } from "node:path";
import { defineConfig } from "drizzle-kit";

const out = process.env.DRIZZLE_OUT;
const url = process.env.DATABASE_URL;
if (!out || !url) throw new Error("set DRIZZLE_OUT and DATABASE_URL");

export default defineConfig({
	dialect: "postgresql",
	out: relative(process.cwd(), out) || ".",
	dbCredentials: { url },
});
