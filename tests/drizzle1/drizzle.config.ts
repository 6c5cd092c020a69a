// drizzle-kit 1.x config: the schema step comes from DRIZZLE_SCHEMA (schemas/v1.ts ..), the
// output folder from DRIZZLE_OUT (the test's temp dir), so nothing is generated inside the
// repository. Run from tests/drizzle1.
import { relative } from "node:path";
import { defineConfig } from "drizzle-kit";

const out = process.env.DRIZZLE_OUT;
const schema = process.env.DRIZZLE_SCHEMA;
if (!out || !schema) throw new Error("set DRIZZLE_OUT and DRIZZLE_SCHEMA");

export default defineConfig({
	dialect: "postgresql",
	schema,
	out: relative(process.cwd(), out) || ".",
});
