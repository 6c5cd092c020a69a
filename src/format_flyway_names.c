/* format_flyway_names.c - Flyway's file names and versions: V<version>__<description>.sql,
 * R__<description>.sql, U... (undo), and the order of versions.
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-core .../internal/resource/
 * ResourceNameParser.java (prefix, "__", description) and .../api/MigrationVersion.java
 * (versions: parts split at "." or "_", each a BigInteger, compared part by part, a missing
 * part read as 0, so "1.0" == "1", "1.10" > "1.9", "2" > "1.10"). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "checksum.h"
#include "format_flyway.h"
#include "source.h"

/* The next version part of v (from *p): its digits without leading zeros (*d, *dn), or
 * none left (false). Parts are split at "." or "_" (MigrationVersion replaces "_" by "."). */
static bool version_part(const char *v, size_t *p, const char **d, size_t *dn)
{
	size_t i = *p;
	if (!v[i])
		return false;
	if (v[i] == '.' || v[i] == '_')
		i++;
	size_t s = i;
	while (v[i] >= '0' && v[i] <= '9')
		i++;
	size_t e = i;
	while (s + 1 < e && v[s] == '0')
		s++;
	*d = v + s;
	*dn = e - s;
	*p = i;
	return true;
}

int flyway_version_cmp(const char *a, const char *b)
{
	size_t pa = 0, pb = 0;
	for (;;) {
		const char *da = "0", *db = "0";
		size_t na = 1, nb = 1;
		bool ha = version_part(a, &pa, &da, &na), hb = version_part(b, &pb, &db, &nb);
		if (!ha && !hb)
			return 0;
		if (na != nb)
			return na < nb ? -1 : 1;
		int c = memcmp(da, db, na);
		if (c)
			return c < 0 ? -1 : 1;
	}
}

bool flyway_version_valid(const char *v, size_t len)
{
	/* tokenize(): split at "\.(?=\d)", each part a BigInteger: digits, parted by one "."
	 * or "_" that a digit follows */
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			continue;
		if ((v[i] == '.' || v[i] == '_') && i > 0 && i + 1 < len && v[i + 1] >= '0' &&
		    v[i + 1] <= '9' && v[i - 1] >= '0' && v[i - 1] <= '9')
			continue;
		return false;
	}
	return true;
}

/* ---------- file names ---------- */

enum flyway_kind flyway_parse_name(const char *f, const char **ver, size_t *vlen,
                                   const char **desc, size_t *dlen)
{
	size_t len = strlen(f);
	if (len < 4 || strcasecmp(f + len - 4, ".sql") != 0)
		return FLYWAY_NONE;
	enum flyway_kind k = f[0] == 'V'   ? FLYWAY_VERSIONED
	                     : f[0] == 'R' ? FLYWAY_REPEATABLE
	                     : f[0] == 'U' ? FLYWAY_UNDO
	                                   : FLYWAY_NONE;
	if (k == FLYWAY_NONE)
		return FLYWAY_NONE;
	const char *rest = f + 1, *end = f + len - 4;
	const char *sep = strstr(rest, "__");
	if (!sep || sep + 2 > end)
		sep = NULL;
	*ver = rest;
	*vlen = sep ? (size_t)(sep - rest) : (size_t)(end - rest);
	*desc = sep ? sep + 2 : end;
	*dlen = (size_t)(end - *desc);
	if (k == FLYWAY_REPEATABLE)
		return *vlen == 0 ? k : FLYWAY_BAD;
	return flyway_version_valid(*ver, *vlen) ? k : FLYWAY_BAD;
}

bool flyway_is_migration(const char *name)
{
	const char *v, *d;
	size_t vl, dl;
	enum flyway_kind k = flyway_parse_name(name, &v, &vl, &d, &dl);
	return k == FLYWAY_VERSIONED || k == FLYWAY_REPEATABLE || k == FLYWAY_BAD;
}

int flyway_detect(const struct source_dir *d, const char **why, struct err *e)
{
	static char found[1024];
	(void)e;
	for (int i = 0; i < d->nfiles; i++) {
		const char *v, *desc;
		size_t vl, dl;
		enum flyway_kind k = flyway_parse_name(d->files[i], &v, &vl, &desc, &dl);
		if (k == FLYWAY_VERSIONED || k == FLYWAY_REPEATABLE) {
			char name[768];
			utf8_escape(d->files[i], name, sizeof name);
			snprintf(found, sizeof found, "\"%s\" is named as a Flyway migration",
			         name);
			*why = found;
			return 1;
		}
	}
	*why = "no V<version>__<description>.sql or R__<description>.sql file";
	return 0;
}
