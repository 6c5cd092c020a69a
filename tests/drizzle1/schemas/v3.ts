// v3: v2 plus an enum value, new columns (one with a non-ASCII default), a composite index and a
// join table with two foreign keys and a composite primary key.
import { index, integer, pgEnum, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

export const role = pgEnum("role", ["admin", "member", "guest"]);

export const users = pgTable(
	"users",
	{
		id: serial("id").primaryKey(),
		email: text("email").notNull(),
		name: text("name").notNull(),
		role: role("role").notNull().default("member"),
		createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
		greeting: text("greeting").default("grüß dich, 世界"),
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
		publishedAt: timestamp("published_at", { withTimezone: true }),
	},
	(t) => [
		index("posts_author_idx").on(t.authorId),
		index("posts_author_published_idx").on(t.authorId, t.publishedAt),
	],
);

export const postLikes = pgTable(
	"post_likes",
	{
		postId: integer("post_id")
			.notNull()
			.references(() => posts.id, { onDelete: "cascade" }),
		userId: integer("user_id")
			.notNull()
			.references(() => users.id),
	},
	(t) => [primaryKey({ columns: [t.postId, t.userId] })],
);
