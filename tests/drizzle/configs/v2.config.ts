// drizzle-kit config for schema step v2. Run from tests/drizzle; the output folder comes from
// DRIZZLE_OUT (the test's temp dir), so nothing is generated inside the repository. drizzle-kit
// 0.31 mishandles an absolute "out" when it reads the previous snapshots back (".//tmp/..."),
// hence the relative path.
import { relative } from "node:path";
import { defineConfig } from "drizzle-kit";

const out = process.env.DRIZZLE_OUT;
if (!out) throw new Error("set DRIZZLE_OUT to the migrations folder to generate into");

export default defineConfig({
	dialect: "postgresql",
	schema: "./schemas/v2.ts",
	out: relative(process.cwd(), out) || ".",
});
