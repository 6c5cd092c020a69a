/* connect.c - one non-blocking connection attempt with libpq, classified. */
#define _GNU_SOURCE
#include "connect.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "cloudauth.h"
#include "log.h"
#include "resolve.h"
#include "signals.h"

bool sqlstate_is_transient(const char *s)
{
	/* 08 connection exception, 40 transaction rollback, 53 insufficient resources
	 * (53300 too many connections), 57 operator intervention (57P01 admin shutdown,
	 * 57P02 crash shutdown, 57P03 cannot connect now), 58 system error */
	static const char *const classes[] = {"08", "40", "53", "57", "58", NULL};
	for (const char *const *c = classes; *c; c++)
		if (strncmp(s, *c, 2) == 0)
			return true;
	return false;
}

static bool is_sqlstate(const char *p)
{
	for (int i = 0; i < 5; i++)
		if (!(isdigit((unsigned char)p[i]) || isupper((unsigned char)p[i])))
			return false;
	return true;
}

bool connect_parse_verbose(const char *msg, char sqlstate[6], char *out, size_t cap)
{
	bool found = false;
	size_t o = 0;
	sqlstate[0] = '\0';
	const char *p = msg;
	while (*p && o + 1 < cap) {
		/* verbose errors read "SEVERITY:  XXXXX: message": two spaces, the code, a colon
		 */
		if (p[0] == ':' && p[1] == ' ' && p[2] == ' ' && strlen(p) >= 10 &&
		    is_sqlstate(p + 3) && p[8] == ':' && p[9] == ' ') {
			memcpy(sqlstate, p + 3, 5);
			sqlstate[5] = '\0';
			found = true;
			out[o++] = ':';
			if (o + 1 < cap)
				out[o++] = ' ';
			if (o + 1 < cap)
				out[o++] = ' ';
			p += 10;
			continue;
		}
		/* drop "LOCATION:  file.c:123" lines: source positions help nobody here */
		if ((p == msg || p[-1] == '\n') && strncmp(p, "LOCATION:", 9) == 0) {
			const char *nl = strchr(p, '\n');
			p = nl ? nl + 1 : p + strlen(p);
			continue;
		}
		out[o++] = *p++;
	}
	while (o > 0 && (out[o - 1] == '\n' || out[o - 1] == ' '))
		o--;
	out[o] = '\0';
	return found;
}

enum failure_kind connect_classify_stage(ConnStatusType stage, bool needs_password)
{
	if (needs_password)
		return FAIL_NO_PASSWORD;
	switch (stage) {
	case CONNECTION_SSL_STARTUP:
	case CONNECTION_GSS_STARTUP:
		/* TLS not offered, certificate rejected, wrong host name: asking again will not
		 * change the answer */
		return FAIL_TLS;
	case CONNECTION_STARTED:
	case CONNECTION_NEEDED:
	case CONNECTION_BAD:
		return FAIL_NETWORK;
	case CONNECTION_OK:
		return FAIL_OTHER;
	default:
		/* after the server answered: it went away (restart, crash, failover) */
		return FAIL_CLOSED;
	}
}

static void fail(struct attempt *a, enum failure_kind kind, const char *text)
{
	a->kind = kind;
	if (text)
		snprintf(a->reason, sizeof a->reason, "%s", text);
	bool permanent = kind == FAIL_TLS || kind == FAIL_NO_PASSWORD || kind == FAIL_OTHER ||
	                 kind == FAIL_TOKEN_REFUSED || kind == FAIL_TOKEN_BAD ||
	                 (kind == FAIL_SERVER && !sqlstate_is_transient(a->sqlstate));
	a->cls = permanent ? ATTEMPT_PERMANENT : ATTEMPT_TRANSIENT;
}

static void fail_from_conn(struct attempt *a, PGconn *conn, ConnStatusType stage)
{
	char text[sizeof a->reason];
	if (connect_parse_verbose(PQerrorMessage(conn), a->sqlstate, text, sizeof text)) {
		fail(a, FAIL_SERVER, text);
		return;
	}
	fail(a, connect_classify_stage(stage, PQconnectionNeedsPassword(conn)), text);
}

/* Wait for fd to be ready for `events`, or the signal pipe, until end_ms.
 * Returns 1 ready, 0 timeout, -1 signal. */
static int wait_fd(int fd, short events, int64_t end_ms)
{
	for (;;) {
		if (signals_caught())
			return -1;
		int64_t left = end_ms - clock_ms();
		if (left <= 0)
			return 0;
		struct pollfd p[2] = {{.fd = fd, .events = events},
		                      {.fd = signals_fd(), .events = POLLIN}};
		int r = poll(p, 2, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (signals_caught())
			return -1;
		if (r < 0)
			return 1; /* let libpq find and report the socket's error */
		if (r > 0 && p[0].revents)
			return 1;
	}
}

static const char *stage_name(ConnStatusType s)
{
	switch (s) {
	case CONNECTION_STARTED:
		return "while connecting";
	case CONNECTION_SSL_STARTUP:
		return "during TLS negotiation";
	case CONNECTION_GSS_STARTUP:
		return "during GSSAPI negotiation";
	case CONNECTION_MADE:
	case CONNECTION_AWAITING_RESPONSE:
		return "waiting for the server's answer to the login";
	case CONNECTION_AUTH_OK:
		return "waiting for the server to start the session";
	default:
		return "before the session was ready";
	}
}

/* Login, non-blocking, with password (an access token) added to the URL's parameters when
 * not NULL. Returns the connection or NULL (a filled). */
static PGconn *login(const struct dburl *u, const char *password, int64_t start, int64_t end,
                     struct attempt *a)
{
	PGconn *conn;
	if (password) {
		/* keywords/values, never a conninfo string: the token needs no quoting and
		 * appears in no text; libpq copies it, so the caller can wipe its own */
		const char *kw[DBURL_MAX_PARAMS + 2], *val[DBURL_MAX_PARAMS + 2];
		int n = 0;
		for (; n < u->nparams; n++) {
			kw[n] = u->keywords[n];
			val[n] = u->values[n];
		}
		kw[n] = "password";
		val[n++] = password;
		kw[n] = NULL;
		val[n] = NULL;
		conn = PQconnectStartParams(kw, val, 0);
	} else {
		conn = PQconnectStartParams(u->keywords, u->values, 0);
	}
	if (!conn) {
		fail(a, FAIL_OTHER, "out of memory");
		return NULL;
	}
	PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
	ConnStatusType stage = PQstatus(conn);
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	if (stage == CONNECTION_BAD)
		ps = PGRES_POLLING_FAILED;
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED) {
			fail_from_conn(a, conn, stage);
			PQfinish(conn);
			return NULL;
		}
		int fd = PQsocket(conn);
		int r = fd < 0 ? 1
		               : wait_fd(fd, ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, end);
		if (r < 0) {
			a->cls = ATTEMPT_SIGNALED;
			PQfinish(conn);
			return NULL;
		}
		if (r == 0) {
			char text[256];
			snprintf(text, sizeof text, "no answer within %lld ms (%s)",
			         (long long)(clock_ms() - start), stage_name(PQstatus(conn)));
			fail(a, FAIL_TIMEOUT, text);
			PQfinish(conn);
			return NULL;
		}
		stage = PQstatus(conn);
		ps = PQconnectPoll(conn);
	}
	return conn;
}

/* SELECT 1 on a fresh connection: the login alone does not prove the session works (a
 * standby in recovery, a database being dropped). Returns false with a filled. */
static bool select_one(PGconn *conn, int64_t end, struct attempt *a)
{
	if (!PQsendQuery(conn, "SELECT 1")) {
		fail_from_conn(a, conn, CONNECTION_OK);
		if (a->kind == FAIL_OTHER)
			fail(a, FAIL_CLOSED, NULL);
		return false;
	}
	while (PQisBusy(conn)) {
		int r = wait_fd(PQsocket(conn), POLLIN, end);
		if (r < 0) {
			a->cls = ATTEMPT_SIGNALED;
			return false;
		}
		if (r == 0) {
			fail(a, FAIL_TIMEOUT, "the server did not answer SELECT 1 in time");
			return false;
		}
		if (!PQconsumeInput(conn)) {
			char text[sizeof a->reason];
			connect_parse_verbose(PQerrorMessage(conn), a->sqlstate, text,
			                      sizeof text);
			fail(a, FAIL_CLOSED, text);
			return false;
		}
	}
	bool ok = false;
	PGresult *res;
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
		    strcmp(PQgetvalue(res, 0, 0), "1") == 0) {
			ok = true;
		} else if (!a->reason[0]) {
			const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			snprintf(a->sqlstate, sizeof a->sqlstate, "%s", st ? st : "");
			char text[sizeof a->reason], ignored[6];
			connect_parse_verbose(PQresultErrorMessage(res), ignored, text,
			                      sizeof text);
			fail(a, st ? FAIL_SERVER : FAIL_CLOSED, text);
		}
		PQclear(res);
	}
	if (!ok && !a->reason[0])
		fail(a, FAIL_CLOSED, "SELECT 1 returned no row");
	return ok;
}

/* Server NOTICEs and WARNINGs go through dbready's log (text or JSON), never raw to stderr:
 * warnings as warnings, the chatter of IF NOT EXISTS and friends at debug level. */
static void on_notice(void *arg, const PGresult *res)
{
	(void)arg;
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "server_notice";
	lf.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	lf.detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	lf.hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	bool warning = sev && strcmp(sev, "WARNING") == 0;
	log_emit(warning ? LOG_WARN : LOG_DEBUG, &lf, "server: %s", msg ? msg : "");
}

/* --auth=azure|gcp: a fresh token for this attempt, within the attempt's time. Returns false
 * with a filled when there is none. */
static bool fetch_token(const struct cloudauth *ca, int64_t end, struct cloudauth_token *tok,
                        struct attempt *a)
{
	int64_t left = end - clock_ms();
	char reason[sizeof a->reason];
	enum cloudauth_result r =
	        cloudauth_fetch(ca, left < 1 ? 1 : left, tok, reason, sizeof reason);
	if (signals_caught()) {
		cloudauth_token_free(tok);
		a->cls = ATTEMPT_SIGNALED;
		return false;
	}
	switch (r) {
	case CLOUDAUTH_OK:
		return true;
	case CLOUDAUTH_TRANSIENT:
		/* one that ran out of the attempt's time is told apart, as FAIL_TIMEOUT is, so
		 * that an attempt the deadline cut short does not become the final reason */
		fail(a, clock_ms() >= end ? FAIL_TOKEN_TIMEOUT : FAIL_TOKEN, reason);
		break;
	case CLOUDAUTH_REFUSED:
		fail(a, FAIL_TOKEN_REFUSED, reason);
		break;
	case CLOUDAUTH_BAD:
		fail(a, FAIL_TOKEN_BAD, reason);
		break;
	}
	return false;
}

PGconn *db_connect(const struct dburl *u, int64_t timeout_ms, struct attempt *a)
{
	memset(a, 0, sizeof *a);
	int64_t start = clock_ms();
	int64_t end = start + timeout_ms;

	char msg[512];
	switch (resolve_hosts(u, timeout_ms, msg, sizeof msg)) {
	case RESOLVE_OK:
		break;
	case RESOLVE_FAILED:
		fail(a, FAIL_DNS, msg);
		goto out;
	case RESOLVE_TIMEOUT:
		fail(a, FAIL_DNS_TIMEOUT, msg);
		goto out;
	case RESOLVE_SIGNALED:
		a->cls = ATTEMPT_SIGNALED;
		goto out;
	}

	/* after the name lookup: a token is fetched only for an attempt that can use it */
	struct cloudauth_token tok = {0};
	if (u->auth && !fetch_token(u->auth, end, &tok, a))
		goto out;
	PGconn *conn = login(u, tok.access_token, start, end, a);
	cloudauth_token_free(&tok);
	if (conn && !select_one(conn, end, a)) {
		PQfinish(conn);
		conn = NULL;
	}
	if (conn) {
		a->cls = ATTEMPT_OK;
		a->server_version = PQserverVersion(conn);
		a->tls = PQsslInUse(conn);
		PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
		PQsetNoticeReceiver(conn, on_notice, NULL);
	}
	a->duration_ms = clock_ms() - start;
	return conn;
out:
	a->duration_ms = clock_ms() - start;
	return NULL;
}
