// v2: v1 plus a table with a foreign key and a column whose default is non-ASCII text.
import { index, integer, pgEnum, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

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

export const posts = pgTable(
	"posts",
	{
		id: serial("id").primaryKey(),
		authorId: integer("author_id")
			.notNull()
			.references(() => users.id, { onDelete: "cascade" }),
		title: text("title").notNull().default("café ☕"),
		body: text("body"),
	},
	(t) => [index("posts_author_idx").on(t.authorId)],
);
