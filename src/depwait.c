/* depwait.c - --wait-for targets: parsing, and waiting for all of them in one multi loop. */
#define _POSIX_C_SOURCE 200809L
#include "depwait.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backoff.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"
#include "signals.h"

#define TARGET_MAX DEPWAIT_TARGET_MAX

/* ---------- parsing ---------- */

/* "scheme://" at s: a letter, then letters, digits, '+', '-', '.', then "://" */
static bool starts_with_scheme(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.')
		s++;
	return strncmp(s, "://", 3) == 0;
}

/* A comma separates targets only when what follows is the next target (or nothing): commas
 * are legal in a URL's path and query. */
static bool comma_separates(const char *after)
{
	while (*after == ' ' || *after == '\t' || *after == '\n' || *after == '\r')
		after++;
	return !*after || *after == ',' || starts_with_scheme(after);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode (and '+' stays '+') into a new string; NULL on a bad escape or a NUL. */
static char *percent_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
}

/* err = "MESSAGE in --wait-for target "SHOWN"\nHINT: HINT", fmt having one %s for what. The
 * message is built whole, scrubbed, and cut visibly (log_cut_copy) where it does not fit
 * before the HINT, which is kept whole (a quoted value may be up to TARGET_MAX bytes long). */
static int usage(char *err, size_t cap, const char *shown, const char *hint, const char *fmt,
                 const char *what)
{
	if (!cap)
		return EXIT_USAGE;
	char *msg = log_dupf(fmt, what ? what : "");
	char *line = msg ? log_dupf("%s in --wait-for target \"%s\"", msg, shown) : NULL;
	char *full = line ? log_scrubbed_dup(line) : NULL;
	const char *text = full ? full : "***";
	size_t hl = strlen("\nHINT: ") + strlen(hint);
	if (hl + 128 < cap) {
		log_cut_copy(err, cap - hl, text);
		size_t n = strlen(err);
		snprintf(err + n, cap - n, "\nHINT: %s", hint);
	} else {
		char *joined = log_dupf("%s\nHINT: %s", text, hint);
		log_cut_copy(err, cap, joined ? joined : text);
		free(joined);
	}
	free(msg);
	free(line);
	log_wipe_free(full);
	return EXIT_USAGE;
}

/* The '#' expectations: status=CODE, body=TEXT, timeout=D, joined by '&'. hide: an '@'
 * follows the '#', which may then be part of a password ("http://u:12#pw@h/" parses as host u,
 * port 12): no key or value is quoted. */
static int parse_expectations(struct dep_target *t, const char *frag, bool hide, char *err,
                              size_t cap)
{
	static const char hint[] =
	        "After '#' a target takes status=CODE, body=TEXT and timeout=DURATION, joined by "
	        "'&' (tcp:// targets only timeout), e.g. http://auth:8080/healthz#status=204.";
	const char *p = frag;
	while (*p) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		if (len == 0) { /* "a&&b" or a trailing '&' */
			p += *p ? 1 : 0;
			continue;
		}
		/* the key as written, whole: it is quoted in messages */
		char *key = strndup(p, eq ? (size_t)(eq - p) : len);
		if (!key)
			return EXIT_INTERNAL;
		const char *qkey = hide ? "***" : key; /* what messages quote */
		if (!eq || eq + 1 == p + len) {
			int urc = usage(err, cap, t->shown, hint,
			                "expectation \"%s\" has no value", qkey);
			free(key);
			return urc;
		}
		const char *val = eq + 1;
		size_t vlen = (size_t)(p + len - val);
		char *v = percent_decode(val, vlen);
		if (!v) {
			int urc = usage(
			        err, cap, t->shown,
			        "Write a '%' as %25 and other special characters percent-encoded.",
			        "invalid percent-encoding in \"%s\"", qkey);
			free(key);
			return urc;
		}
		int rc = EXIT_DONE;
		const char *qv = hide ? "***" : v;
		if (strcmp(key, "status") == 0 && t->kind == DEP_HTTP) {
			char *end;
			long s = strtol(v, &end, 10);
			if (!isdigit((unsigned char)v[0]) || *end || s < 100 || s > 599)
				rc = usage(err, cap, t->shown,
				           "Give one HTTP status code, e.g. status=204.",
				           "invalid status \"%s\"", qv);
			t->want_status = s;
		} else if (strcmp(key, "body") == 0 && t->kind == DEP_HTTP) {
			free(t->want_body);
			t->want_body = v;
			v = NULL;
		} else if (strcmp(key, "timeout") == 0) {
			int64_t ms;
			if (!cli_parse_duration(v, &ms) || ms == 0)
				rc = usage(err, cap, t->shown,
				           "Write a duration above zero: 500ms, 2s, 1m (a bare "
				           "number "
				           "means seconds).",
				           "invalid timeout \"%s\"", qv);
			t->timeout_ms = ms;
		} else {
			rc = usage(err, cap, t->shown, hint, "unknown expectation \"%s\"", qkey);
		}
		free(key);
		free(v);
		if (rc != EXIT_DONE)
			return rc;
		p += len;
		if (*p == '&')
			p++;
	}
	return EXIT_DONE;
}

/* tcp://HOST:PORT (an optional final '/'); HOST may be a bracketed IPv6 address. */
static int parse_tcp(struct dep_target *t, const char *rest, char *err, size_t cap)
{
	static const char hint[] = "Write tcp://HOST:PORT, e.g. tcp://redis:6379 or "
	                           "tcp://[fd00::1]:5672; each target needs its own tcp://.";
	size_t n = strlen(rest);
	if (n && rest[n - 1] == '/')
		n--;
	if (memchr(rest, '@', n))
		return usage(
		        err, cap, t->shown,
		        "A TCP check sends nothing, so it needs no user name or password: remove "
		        "them.",
		        "user information is not allowed%s", NULL);
	if (memchr(rest, ',', n))
		return usage(err, cap, t->shown,
		             "Separate targets with commas and start each with its scheme: "
		             "tcp://redis:6379,tcp://db:5432.",
		             "a comma is not allowed%s", NULL);
	if (strcspn(rest, "/?") < n)
		return usage(err, cap, t->shown, hint, "a path or query is not allowed%s", NULL);
	const char *colon = NULL;
	if (rest[0] == '[') {
		const char *close = memchr(rest, ']', n);
		if (close && close > rest + 1 && close + 1 < rest + n && close[1] == ':')
			colon = close + 1;
	} else {
		colon = memchr(rest, ':', n);
		if (colon && memchr(colon + 1, ':', (size_t)(rest + n - colon - 1)))
			colon = NULL; /* an IPv6 address needs brackets */
	}
	if (!colon || colon == rest)
		return usage(err, cap, t->shown, hint, "host and port are required%s", NULL);
	const char *port = colon + 1;
	size_t plen = (size_t)(rest + n - port);
	long pv = 0;
	for (size_t i = 0; i < plen; i++) {
		if (!isdigit((unsigned char)port[i]) || pv > 65535) {
			pv = -1;
			break;
		}
		pv = pv * 10 + (port[i] - '0');
	}
	if (plen == 0 || pv < 1 || pv > 65535)
		return usage(err, cap, t->shown, hint, "invalid port%s", NULL);
	size_t need = strlen("http://") + n + 2;
	t->url = malloc(need);
	if (!t->url)
		return EXIT_INTERNAL;
	snprintf(t->url, need, "http://%.*s/", (int)n, rest);
	return EXIT_DONE;
}

/* http(s)://...: libcurl's own parser decides what it would request. */
static int parse_http(struct dep_target *t, const char *url, char *err, size_t cap)
{
	CURLU *u = curl_url();
	if (!u)
		return EXIT_INTERNAL;
	int rc = EXIT_DONE;
	char *user = NULL, *pw = NULL, *host = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		rc = usage(err, cap, t->shown,
		           "Write a full URL such as http://auth:8080/healthz; percent-encode "
		           "special characters in the user name and password.",
		           "invalid URL (%s)", curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
		rc = usage(err, cap, t->shown, "Name the host, e.g. http://auth:8080/healthz.",
		           "the host is missing%s", NULL);
		goto out;
	}
	/* the password (or a token written as the user name) must never be printed: register
	 * it as written and decoded, since either form could appear in a message */
	/* "token:@host" (an empty password) is a token used as the user name */
	bool has_pw = curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK && pw && *pw;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user && !has_pw)
		log_add_secret(user);
	if (has_pw)
		log_add_secret(pw);
	curl_free(user);
	curl_free(pw);
	user = pw = NULL;
	if (has_pw && curl_url_get(u, CURLUPART_PASSWORD, &pw, CURLU_URLDECODE) == CURLUE_OK && pw)
		log_add_secret(pw);
	else if (!has_pw && curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE) == CURLUE_OK)
		log_add_secret(user);
	t->url = strdup(url);
	if (!t->url)
		rc = EXIT_INTERNAL;
out:
	curl_free(user);
	curl_free(pw);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The shown form of a target that failed to parse while an '@' follows in the list: a
 * password holding a space or ",scheme://" was split off, so nothing past the scheme is
 * shown. */
static void hide_shown(struct dep_target *t, const char *tok)
{
	size_t sl = starts_with_scheme(tok) ? (size_t)(strstr(tok, "://") - tok) + 3 : 0;
	if (sl > 40)
		sl = 0;
	/* at most 40 bytes and "***": fits */
	_Static_assert(sizeof t->shown > 40 + sizeof "***", "shown holds a scheme");
	snprintf(t->shown, sizeof t->shown, "%.*s***", (int)sl, tok);
}

/* Redact tok[0..n) as a whole (an unencoded '#' in a password must not end it early). */
static void shown_whole(struct dep_target *t, const char *tok, size_t n)
{
	char *whole = strndup(tok, n);
	if (whole) {
		http_redact_url(whole, t->shown, sizeof t->shown);
		memset(whole, 0, n);
		free(whole);
	} else {
		snprintf(t->shown, sizeof t->shown, "***");
	}
}

/* tok: n bytes inside the NUL-terminated list. While an '@' follows the target in the list
 * (a password holding a space or ",http://" split it off), a target that fails is shown
 * without anything past its scheme. */
static int parse_target(struct dep_target *t, const char *tok, size_t n, char *err, size_t cap)
{
	char text[TARGET_MAX + 1];
	memset(t, 0, sizeof *t);
	if (n > TARGET_MAX) {
		/* redact the whole value first, then shorten (at a character boundary; the
		 * message says it is the start of the target) */
		shown_whole(t, tok, n);
		if (strchr(tok + n, '@'))
			hide_shown(t, tok);
		size_t keep =
		        strlen(t->shown) > 64 ? log_utf8_floor(t->shown, 64) : strlen(t->shown);
		snprintf(err, cap,
		         "--wait-for target \"%.*s...\" is longer than %d bytes (%zu)\n"
		         "HINT: Shorten the URL.",
		         (int)keep, t->shown, TARGET_MAX, n);
		return EXIT_USAGE;
	}
	memcpy(text, tok, n);
	text[n] = '\0';
	char *frag = strchr(text, '#');
	/* an '@' after the '#': a password may hold the '#', so redact the whole target */
	if (frag && strchr(frag, '@'))
		shown_whole(t, tok, n);
	if (frag)
		*frag++ = '\0';
	if (!t->shown[0])
		http_redact_url(text, t->shown, sizeof t->shown);
	if (strchr(tok + n, '@'))
		hide_shown(t, tok);
	const char *sep = strstr(text, "://");
	if (!sep || !starts_with_scheme(text))
		return usage(err, cap, t->shown,
		             "Start each target with tcp://, http:// or https://, e.g. "
		             "tcp://redis:6379,http://auth:8080/healthz.",
		             "the scheme is missing%s", NULL);
	size_t slen = (size_t)(sep - text);
	int rc;
	if (slen == 3 && strncasecmp(text, "tcp", 3) == 0) {
		t->kind = DEP_TCP;
		rc = parse_tcp(t, sep + 3, err, cap);
	} else if ((slen == 4 && strncasecmp(text, "http", 4) == 0) ||
	           (slen == 5 && strncasecmp(text, "https", 5) == 0)) {
		t->kind = DEP_HTTP;
		rc = parse_http(t, text, err, cap);
	} else {
		char *scheme = strndup(text, slen); /* whole: slen <= TARGET_MAX */
		if (!scheme)
			return EXIT_INTERNAL;
		rc = usage(err, cap, t->shown,
		           "--wait-for takes tcp://, http:// and https:// targets; the database "
		           "itself is waited for through DATABASE_URL.",
		           "unsupported scheme \"%s\"", scheme);
		free(scheme);
	}
	if (rc == EXIT_DONE && frag)
		rc = parse_expectations(t, frag, strchr(frag, '@') != NULL, err, cap);
	if (rc == EXIT_DONE) /* valid: shown as written, without the '#' */
		http_redact_url(text, t->shown, sizeof t->shown);
	return rc;
}

int depwait_parse(const char *const *lists, int nlists, struct dep_list *out, char *err,
                  size_t errcap)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < nlists; i++) {
		const char *p = lists[i];
		for (;;) {
			while (*p == ',' || isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			const char *q = p;
			while (*q && !isspace((unsigned char)*q) &&
			       !(*q == ',' && comma_separates(q + 1)))
				q++;
			if (out->n == DEPWAIT_MAX_TARGETS) {
				snprintf(err, errcap,
				         "more than %d --wait-for targets\n"
				         "HINT: Wait for fewer services, or for a gateway in "
				         "front of "
				         "them.",
				         DEPWAIT_MAX_TARGETS);
				return EXIT_USAGE;
			}
			if (!out->t && !(out->t = calloc(DEPWAIT_MAX_TARGETS, sizeof *out->t)))
				return EXIT_INTERNAL;
			int rc = parse_target(&out->t[out->n], p, (size_t)(q - p), err, errcap);
			out->n++; /* counted even when it failed: depwait_free releases its strings
			           */
			if (rc != EXIT_DONE)
				return rc;
			p = q;
		}
	}
	return EXIT_DONE;
}

void depwait_free(struct dep_list *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->t[i].url);
		free(l->t[i].want_body);
		free(l->t[i].reason);
	}
	free(l->t);
	memset(l, 0, sizeof *l);
}

/* ---------- waiting ---------- */

struct slot {
	struct dep_target *t;
	CURL *h;          /* the attempt in flight, or NULL */
	int64_t next_at;  /* idle: when the next attempt starts */
	int64_t began_at; /* in flight: when it started */
	bool cut_short;   /* in flight: the deadline shortened its timeout */
	bool done;        /* ready, or (retry = false) its one attempt failed */
	struct backoff b;
	char errbuf[CURL_ERROR_SIZE]; /* libcurl writes at most CURL_ERROR_SIZE bytes */
	char *body;
	size_t body_len;  /* kept: at most DEPWAIT_MAX_BODY */
	size_t body_seen; /* received, said in the reason when more than was kept */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct slot *s = userdata;
	size_t n = size * nmemb;
	s->body_seen += n;
	if (!s->t->want_body || s->body_len >= DEPWAIT_MAX_BODY)
		return n; /* read and dropped: only the beginning is searched (the reason says so)
		           */
	size_t take = n < DEPWAIT_MAX_BODY - s->body_len ? n : DEPWAIT_MAX_BODY - s->body_len;
	if (!s->body && !(s->body = malloc(DEPWAIT_MAX_BODY + 1)))
		return 0;
	memcpy(s->body + s->body_len, data, take);
	s->body_len += take;
	s->body[s->body_len] = '\0';
	return n;
}

static int64_t attempt_timeout(const struct slot *s, const struct config *cfg)
{
	return s->t->timeout_ms ? s->t->timeout_ms : cfg->connect_timeout_ms;
}

static bool start_attempt(CURLM *m, struct slot *s, const struct config *cfg, int64_t deadline)
{
	int64_t now = clock_ms();
	int64_t budget = attempt_timeout(s, cfg);
	s->cut_short = false;
	if (deadline >= 0 && deadline - now < budget) {
		budget = deadline - now > 0 ? deadline - now : 1;
		s->cut_short = true;
	}
	CURL *h = curl_easy_init();
	if (!h)
		return false;
	http_apply_common(h, (long)budget);
	curl_easy_setopt(h, CURLOPT_URL, s->t->url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, s);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
	/* every attempt is a new connection: an old one proves nothing about the service now */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (s->t->kind == DEP_TCP) {
		curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
		curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* the connection itself is the test */
	} else {
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
	}
	s->errbuf[0] = '\0';
	s->body_len = 0;
	s->body_seen = 0;
	if (s->body)
		s->body[0] = '\0';
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_easy_cleanup(h);
		return false;
	}
	s->h = h;
	s->began_at = now;
	s->t->attempts++;
	return true;
}

/* Judge a finished attempt: true = ready; else *why (malloc'd, NULL when out of memory)
 * says why not. */
static bool judge(struct slot *s, CURLcode res, char **why)
{
	struct dep_target *t = s->t;
	*why = NULL;
	if (res != CURLE_OK) {
		*why = http_redact_error_dup(s->errbuf[0] ? s->errbuf : curl_easy_strerror(res));
		return false;
	}
	if (t->kind == DEP_TCP)
		return true;
	long status = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	if (t->want_status ? status != t->want_status : (status < 200 || status > 299)) {
		if (t->want_status)
			*why = log_dupf("HTTP status %ld, expected %ld", status, t->want_status);
		else
			*why = log_dupf("HTTP status %ld, expected 2xx", status);
		return false;
	}
	if (t->want_body && (!s->body || !strstr(s->body, t->want_body))) {
		if (s->body_seen > s->body_len)
			*why = log_dupf(
			        "HTTP status %ld, but the first %zu bytes of the body (of %zu) do "
			        "not contain \"%s\"",
			        status, s->body_len, s->body_seen, t->want_body);
		else
			*why = log_dupf("HTTP status %ld, but the body does not contain \"%s\"",
			                status, t->want_body);
		return false;
	}
	return true;
}

/* The targets not ready, for messages: "tcp://a, http://b", every one of them (malloc'd;
 * NULL when out of memory). */
static char *not_ready_names(const struct dep_list *l)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m)
		return NULL;
	bool first = true;
	for (int i = 0; i < l->n; i++)
		if (!l->t[i].ready) {
			fprintf(m, "%s%s", first ? "" : ", ", l->t[i].shown);
			first = false;
		}
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void finished(struct slot *s, CURLcode res, bool retry, int64_t deadline)
{
	struct dep_target *t = s->t;
	int64_t now = clock_ms();
	char *why_owned = NULL;
	bool ok = judge(s, res, &why_owned);
	const char *why = why_owned ? why_owned : "out of memory";
	long status = 0;
	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.target = t->shown;
	lf.attempt = t->attempts;
	lf.duration_ms = now - s->began_at;
	if (ok) {
		t->ready = true;
		s->done = true;
		lf.event = "dependency_ready";
		/* "HTTP " and a long: 5 + 20 bytes */
		char how[48] = "accepts connections";
		_Static_assert(sizeof how >= sizeof "HTTP -9223372036854775808",
		               "how[] holds a status");
		if (t->kind == DEP_HTTP)
			snprintf(how, sizeof how, "HTTP %ld", status);
		log_emit(LOG_INFO, &lf, "dependency ready: %s (%s) after %d attempt%s", t->shown,
		         how, t->attempts, t->attempts == 1 ? "" : "s");
		free(why_owned);
		return;
	}
	/* an attempt the deadline cut short says "timed out", which is not why the service is
	 * not ready: keep the previous attempt's reason for the report (as wait.c does) */
	if (!(s->cut_short && res == CURLE_OPERATION_TIMEDOUT && t->reason)) {
		char *keep = strdup(why);
		if (keep) {
			free(t->reason);
			t->reason = keep;
		}
	}
	int64_t remaining = deadline < 0 ? -1 : deadline - now;
	if (!retry || (deadline >= 0 && remaining <= 0)) {
		s->done = !retry;
		s->next_at = INT64_MAX;
		lf.event = "dependency_attempt_failed";
		log_emit(LOG_WARN, &lf, "attempt %d: %s not ready: %s", t->attempts, t->shown,
		         why);
		free(why_owned);
		return;
	}
	int64_t sleep = backoff_next(&s->b, remaining);
	s->next_at = now + sleep;
	lf.event = "dependency_attempt_failed";
	log_emit(LOG_WARN, &lf, "attempt %d: %s not ready: %s; next try in %lld ms", t->attempts,
	         t->shown, why, (long long)sleep);
	free(why_owned);
}

/* Every target not ready, whole (log_emit and termlog_write cut what is too long for a log
 * line visibly); the lists are built on the heap: no target is dropped. */
static int report_failure(const struct dep_list *l, const struct config *cfg, bool retry)
{
	char *names = not_ready_names(l);
	char *detail = NULL, *line = NULL;
	size_t dsize = 0, lsize = 0;
	FILE *dm = open_memstream(&detail, &dsize);
	FILE *lm = dm ? open_memstream(&line, &lsize) : NULL;
	int bad = 0;
	for (int i = 0; lm && i < l->n; i++) {
		const struct dep_target *t = &l->t[i];
		if (t->ready)
			continue;
		fprintf(dm, "%s%s: %s (%d attempt%s)", bad ? "\n" : "", t->shown,
		        t->reason ? t->reason : "no attempt finished", t->attempts,
		        t->attempts == 1 ? "" : "s");
		fprintf(lm, "%s%s (%s)", bad ? "; " : "", t->shown, t->reason ? t->reason : "");
		bad++;
	}
	bool ok = dm && lm;
	if (lm && fclose(lm) != 0)
		ok = false;
	if (dm && fclose(dm) != 0)
		ok = false;
	if (!ok || !names) {
		free(detail);
		free(line);
		free(names);
		detail = line = names = NULL;
	}
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "dependency_unreachable";
	lf.exit_code = EXIT_HTTP;
	lf.detail = detail ? detail : "out of memory listing the targets";
	lf.hint = "Check that the service runs and is reachable from here (in Kubernetes the "
	          "Service name, namespace, port and ready endpoints; a NetworkPolicy), that an "
	          "https:// target's certificate chains to --http-ca-file, or raise --timeout.";
	const char *shown_names = names ? names : "the --wait-for targets";
	if (retry && cfg->timeout_ms)
		log_emit(LOG_ERROR, &lf, "%s not ready within %lld ms: %s",
		         bad == 1 ? "dependency" : "dependencies", (long long)cfg->timeout_ms,
		         shown_names);
	else
		log_emit(LOG_ERROR, &lf, "%s not ready: %s",
		         bad == 1 ? "dependency" : "dependencies", shown_names);
	termlog_write("error (exit %d): not ready: %s", EXIT_HTTP,
	              line ? line : "the --wait-for targets");
	free(names);
	free(detail);
	free(line);
	return EXIT_HTTP;
}

int depwait_run(struct dep_list *l, const struct config *cfg, bool retry, int64_t deadline)
{
	if (l->n == 0)
		return EXIT_DONE;
	int rc = EXIT_INTERNAL;
	int64_t start = clock_ms();
	struct slot *slots = calloc((size_t)l->n, sizeof *slots);
	CURLM *m = NULL;
	if (!slots || http_global_init() != 0 || !(m = curl_multi_init())) {
		log_error("could not start waiting for the --wait-for targets: out of memory");
		goto out;
	}
	for (int i = 0; i < l->n; i++) {
		slots[i].t = &l->t[i];
		l->t[i].ready = false;
		l->t[i].attempts = 0;
		free(l->t[i].reason);
		l->t[i].reason = NULL;
		slots[i].next_at = start;
		backoff_init(&slots[i].b, cfg->backoff_base_ms, cfg->backoff_cap_ms, 0);
	}
	char *names = not_ready_names(l);
	log_info("waiting for %s", names ? names : "the --wait-for targets");
	free(names);

	for (;;) {
		int64_t now = clock_ms();
		int busy = 0, open = 0;
		int64_t wake = deadline;
		for (int i = 0; i < l->n; i++) {
			struct slot *s = &slots[i];
			if (s->done)
				continue;
			open++;
			bool past = deadline >= 0 && now >= deadline;
			if (!s->h && s->next_at <= now && !past) {
				if (!start_attempt(m, s, cfg, deadline)) {
					log_error(
					        "could not start an attempt for %s: out of memory",
					        s->t->shown);
					goto out;
				}
			}
			if (s->h)
				busy++;
			else if (!past && s->next_at != INT64_MAX &&
			         (wake < 0 || s->next_at < wake))
				wake = s->next_at;
		}
		if (open == 0) { /* ready, or (retry = false) the one attempt failed */
			bool all = true;
			for (int i = 0; i < l->n; i++)
				all = all && l->t[i].ready;
			rc = all ? EXIT_DONE : report_failure(l, cfg, retry);
			break;
		}
		if (busy == 0 && (!retry || (deadline >= 0 && now >= deadline))) {
			rc = report_failure(l, cfg, retry);
			break;
		}
		int timeout = 1000;
		if (wake >= 0 && wake - now < timeout)
			timeout = wake > now ? (int)(wake - now) : 0;
		struct curl_waitfd wfd = {.fd = signals_fd(), .events = CURL_WAIT_POLLIN};
		CURLMcode mc = curl_multi_poll(m, &wfd, wfd.fd >= 0 ? 1 : 0, timeout, NULL);
		if (mc == CURLM_OK && !signals_caught())
			mc = curl_multi_perform(m, &busy);
		if (signals_caught()) {
			int sig = signals_caught();
			names = not_ready_names(l);
			const char *shown_names = names ? names : "the --wait-for targets";
			struct log_fields lf = LOG_FIELDS_INIT;
			lf.event = "signal";
			lf.exit_code = EXIT_SIGNAL_BASE + sig;
			log_emit(LOG_WARN, &lf, "stopped by %s while waiting for %s",
			         signals_name(sig), shown_names);
			termlog_write("stopped (exit %d): %s while waiting for %s",
			              EXIT_SIGNAL_BASE + sig, signals_name(sig), shown_names);
			free(names);
			rc = EXIT_SIGNAL_BASE + sig;
			break;
		}
		if (mc != CURLM_OK) {
			log_error("waiting for the --wait-for targets failed: %s",
			          curl_multi_strerror(mc));
			goto out;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			struct slot *s = (struct slot *)priv;
			finished(s, msg->data.result, retry, deadline);
			curl_multi_remove_handle(m, s->h);
			curl_easy_cleanup(s->h);
			s->h = NULL;
		}
	}
	if (rc == EXIT_DONE)
		log_emit(LOG_DEBUG, NULL, "all %d dependenc%s ready in %lld ms", l->n,
		         l->n == 1 ? "y" : "ies", (long long)(clock_ms() - start));
out:
	for (int i = 0; slots && i < l->n; i++) {
		if (slots[i].h) {
			curl_multi_remove_handle(m, slots[i].h);
			curl_easy_cleanup(slots[i].h);
		}
		free(slots[i].body);
	}
	if (m)
		curl_multi_cleanup(m);
	free(slots);
	return rc;
}
