/* exitcode.h - the documented exit codes of dbready (spec/cli.md); --help prints this table. */
#ifndef DBREADY_EXITCODE_H
#define DBREADY_EXITCODE_H

enum exit_code {
	EXIT_DONE = 0,        /* done: database reachable, migrations (if asked) applied */
	EXIT_INTERNAL = 1,    /* internal error: a bug, out of memory */
	EXIT_USAGE = 2,       /* unknown command or flag, bad option value */
	EXIT_CONFIG = 3,      /* DATABASE_URL missing/malformed/unsafe, directory unreadable */
	EXIT_UNREACHABLE = 4, /* not reachable before the deadline (transient failures only) */
	EXIT_REFUSED = 5, /* refused for good: auth (or the token endpoint), role/database, TLS */
	EXIT_MIGRATIONS = 6,   /* migration files invalid or diverged from history */
	EXIT_APPLY = 7,        /* a migration failed to apply and was rolled back */
	EXIT_LOCK = 8,         /* migration lock not acquired before --lock-timeout */
	EXIT_PENDING = 9,      /* await/probe: migrations still pending at the deadline */
	EXIT_HTTP = 10,        /* an HTTP dependency, hook or --auth token endpoint failed */
	EXIT_SIGNAL_BASE = 128 /* 128+n: stopped by signal n */
};

#endif
