// prisma.config.ts - the real Prisma CLI (6.19.3) on its bundled WASM schema engine, offline:
// `engine: "js"` with a driver adapter, so `prisma migrate deploy` / `migrate status` need no
// downloaded engine binary. The adapter is @prisma/adapter-pg 7.10.1 (installed as
// "adapter-pg-7"): 6.19.3's own cannot decode PostgreSQL's `name` type (prisma/prisma#27403).
// Environment: DATABASE_URL (the database), PRISMA_MIGRATIONS (the migrations folder),
// PRISMA_SCHEMA (optional: the schema, as ?schema= would say; default public).
import { defineConfig } from "prisma/config";
import { PrismaPg } from "adapter-pg-7";

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  schema: "schema.prisma",
  migrations: { path: process.env.PRISMA_MIGRATIONS },
  adapter: async () =>
    new PrismaPg(
      // the CLI never closes the pool: without allowExitOnIdle node would wait for pg's
      // 10 s idle timeout before exiting
      { connectionString: process.env.DATABASE_URL, allowExitOnIdle: true },
      process.env.PRISMA_SCHEMA ? { schema: process.env.PRISMA_SCHEMA } : undefined,
    ),
});
