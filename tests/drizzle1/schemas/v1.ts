// v1: an enum, a table with a unique index and a plain index.
// (Non-ASCII in the schema source on purpose: « naïve café ☕ ».)
import { index, pgEnum, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const role = pgEnum("role", ["admin", "member"]);

export const users = pgTable(
	"users",
	{
		id: serial("id").primaryKey(),
		email: text("email").notNull(),
		name: text("name").notNull(),
		role: role("role").notNull().default("member"),
		createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
	},
	(t) => [uniqueIndex("users_email_key").on(t.email), index("users_name_idx").on(t.name)],
);
