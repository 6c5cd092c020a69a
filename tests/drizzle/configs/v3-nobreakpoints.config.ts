// drizzle-kit config: schema v3 in one step with breakpoints off (no "--> statement-breakpoint"
// lines; drizzle-orm then sends each file as one multi-statement query). Run from tests/drizzle;
// the output folder comes from DRIZZLE_OUT (see v1.config.ts).
import { relative } from "node:path";
import { defineConfig } from "drizzle-kit";

const out = process.env.DRIZZLE_OUT;
if (!out) throw new Error("set DRIZZLE_OUT to the migrations folder to generate into");

export default defineConfig({
	dialect: "postgresql",
	schema: "./schemas/v3.ts",
	out: relative(process.cwd(), out) || ".",
	breakpoints: false,
});
