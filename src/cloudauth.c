/* cloudauth.c - fetch an Entra ID or Google access token to use as the database password. */
#define _POSIX_C_SOURCE 200809L
#include "cloudauth.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dburl.h"
#include "err.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"

/* log.h transient slots */
#define SLOT_TOKEN     0
#define SLOT_ASSERTION 1

const char *cloudauth_mode_name(enum auth_mode mode)
{
	return mode == AUTH_AZURE ? "azure" : mode == AUTH_GCP ? "gcp" : "password";
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Wipe and free a NUL-terminated secret. */
static void wipe_free(char *s, size_t len)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, len ? len : strlen(s));
	free(s);
}

/* ---------- encoding and masking ---------- */

char *cloudauth_form_encode(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1);
	if (!out)
		return NULL;
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static bool is_b64url(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

void cloudauth_mask_jwts(char *s)
{
	char *p = s;
	while (*p) {
		if (!is_b64url(*p) || (p > s && (is_b64url(p[-1]) || p[-1] == '.'))) {
			p++;
			continue;
		}
		/* a run of base64url characters and dots starting here */
		size_t len = 0, dots = 0;
		while (is_b64url(p[len]) || (p[len] == '.' && is_b64url(p[len + 1]))) {
			if (p[len] == '.')
				dots++;
			len++;
		}
		/* a JWT's header is base64url JSON: it starts with "eyJ" ({") */
		if (dots >= 2 && len >= 20 && strncmp(p, "eyJ", 3) == 0) {
			memmove(p + 3, p + len, strlen(p + len) + 1);
			memcpy(p, "***", 3);
			p += 3;
		} else {
			p += len ? len : 1;
		}
	}
}

static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || strchr("._~+/=-", c) != NULL;
}

/* Replace every run of CLOUDAUTH_TOKEN_RUN or more token characters ([A-Za-z0-9._~+/=-]) by
 * "***": an access token (Google's "ya29." ones are no JWTs), a key or a signature quoted
 * in an endpoint's error text. Ordinary words are shorter. */
static void mask_token_runs(char *s)
{
	char *p = s;
	while (*p) {
		size_t len = 0;
		while (p[len] && is_token_char(p[len]))
			len++;
		if (len >= CLOUDAUTH_TOKEN_RUN) {
			memmove(p + 3, p + len, strlen(p + len) + 1);
			memcpy(p, "***", 3);
			p += 3;
		} else {
			p += len ? len : 1;
		}
	}
}

/* The first line of text as printable ASCII (anything else becomes a space), with JWT-shaped
 * runs and long token-like runs masked - before it is cut short, so that no cut-off piece of
 * one escapes the mask - then cut to max bytes, visibly ("... (cut, N more bytes)").
 * Malloc'd; NULL when out of memory. */
static char *quote_line(const char *text, size_t max)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t n = strcspn(text, "\n\r");
	char *line = malloc(n + 1);
	if (!line)
		return NULL;
	for (size_t i = 0; i < n; i++)
		line[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : ' ';
	line[n] = '\0';
	cloudauth_mask_jwts(line);
	mask_token_runs(line);
	size_t len = strlen(line), o = len;
	while (o > 0 && line[o - 1] == ' ')
		o--;
	if (o <= max) {
		line[o] = '\0';
		return line;
	}
	size_t keep = max; /* ASCII: any byte is a character boundary */
	while (keep > 0 && line[keep - 1] == ' ')
		keep--;
	char *out = log_dupf("%.*s\xE2\x80\xA6 (cut, %zu more bytes)", (int)keep, line, o - keep);
	OPENSSL_cleanse(line, len);
	free(line);
	return out;
}

/* ---------- requests ---------- */

bool cloudauth_build_request(const struct cloudauth *ca, const char *assertion,
                             struct cloudauth_request *req)
{
	memset(req, 0, sizeof *req);
	req->url = ca->url;
	int h = 0;
	switch (ca->flow) {
	case FLOW_AZURE_IMDS:
		req->method = "GET";
		/* IMDS refuses a request without it (an SSRF guard) */
		req->headers[h++] = "Metadata: true";
		break;
	case FLOW_GCP_METADATA:
		req->method = "GET";
		req->headers[h++] = "Metadata-Flavor: Google";
		break;
	case FLOW_AZURE_WORKLOAD: {
		req->method = "POST";
		req->headers[h++] = "Content-Type: application/x-www-form-urlencoded";
		/* no "Expect: 100-continue" round trip (libcurl adds it to large bodies) */
		req->headers[h++] = "Expect:";
		char scope[sizeof ca->resource + 16];
		snprintf(scope, sizeof scope, "%s/.default", ca->resource);
		char *id = cloudauth_form_encode(ca->client_id);
		char *sc = cloudauth_form_encode(scope);
		char *type = cloudauth_form_encode(CLOUDAUTH_JWT_BEARER);
		char *as = cloudauth_form_encode(assertion ? assertion : "");
		bool ok = id && sc && type && as;
		if (ok) {
			size_t cap = strlen(id) + strlen(sc) + strlen(type) + strlen(as) + 128;
			req->body = malloc(cap);
			ok = req->body != NULL;
			if (ok)
				req->body_len = (size_t)snprintf(
				        req->body, cap,
				        "grant_type=client_credentials&client_id=%s&scope=%s"
				        "&client_assertion_type=%s&client_assertion=%s",
				        id, sc, type, as);
		}
		free(id);
		free(sc);
		free(type);
		wipe_free(as, 0);
		if (!ok)
			return false;
		break;
	}
	}
	req->headers[h++] = "Accept: application/json";
	req->headers[h] = NULL;
	return true;
}

void cloudauth_request_free(struct cloudauth_request *req)
{
	wipe_free(req->body, req->body_len);
	memset(req, 0, sizeof *req);
}

/* ---------- answers ---------- */

static void reasonf(char *reason, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Scrubbed whole, then cut visibly to cap (log_vformat_scrubbed): a reason may quote the
 * endpoint's URL (up to 2 KiB) and its error text. */
static void reasonf(char *reason, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(reason, cap, fmt, ap);
	va_end(ap);
}

/* Wipe every string value in a parsed answer before it is freed: one of them is the token. */
static void wipe_json(cJSON *j)
{
	for (cJSON *c = j; c; c = c->next) {
		if (cJSON_IsString(c) && c->valuestring)
			OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
		if (c->child)
			wipe_json(c->child);
	}
}

static int64_t parse_expires(const cJSON *v)
{
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12)
		return (int64_t)v->valuedouble;
	if (cJSON_IsString(v) && v->valuestring && isdigit((unsigned char)v->valuestring[0])) {
		char *end;
		long long n = strtoll(v->valuestring, &end, 10);
		if (*end == '\0' && n >= 0)
			return n;
	}
	return -1;
}

/* The keys of a JSON object for a message: each masked and cut visibly at 32 bytes, the list
 * ended by "and N more" once it passes KEY_LIST_MAX bytes. Malloc'd; NULL when out of
 * memory. */
#define KEY_LIST_MAX 200
static char *key_list(const cJSON *j)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	if (!m)
		return NULL;
	int shown = 0, more = 0;
	bool ok = true;
	for (const cJSON *c = j->child; c; c = c->next) {
		if (!c->string)
			continue;
		if (ftell(m) >= KEY_LIST_MAX) {
			more++;
			continue;
		}
		char *q = quote_line(c->string, 32);
		ok = ok && q;
		fprintf(m, "%s%s", shown ? ", " : "", q ? q : "***");
		free(q);
		shown++;
	}
	if (more)
		fprintf(m, " and %d more", more);
	if (fclose(m) != 0 || !ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static enum cloudauth_result parse_token(const char *body, size_t len, long status,
                                         struct cloudauth_token *tok, char *reason, size_t cap)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	enum cloudauth_result r = CLOUDAUTH_BAD;
	if (!cJSON_IsObject(j)) {
		reasonf(reason, cap, "the answer (HTTP %ld, %zu bytes) is not a JSON object",
		        status, len);
		goto out;
	}
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, "access_token");
	if (!cJSON_IsString(at) || !at->valuestring || !*at->valuestring) {
		/* name the keys that are there (never their values) */
		char *keys = key_list(j);
		reasonf(reason, cap, "the JSON answer (HTTP %ld) has no access_token%s%s%s",
		        status, at ? " string" : "", keys && *keys ? "; its keys: " : "",
		        keys ? keys : "");
		free(keys);
		goto out;
	}
	const char *v = at->valuestring;
	for (const char *p = v; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			reasonf(reason, cap,
			        "the access_token in the answer (HTTP %ld) holds characters other "
			        "than printable ASCII",
			        status);
			goto out;
		}
	}
	tok->len = strlen(v);
	tok->access_token = malloc(tok->len + 1);
	if (!tok->access_token) {
		tok->len = 0;
		reasonf(reason, cap, "out of memory");
		r = CLOUDAUTH_TRANSIENT;
		goto out;
	}
	memcpy(tok->access_token, v, tok->len + 1);
	tok->expires_in_s = parse_expires(cJSON_GetObjectItemCaseSensitive(j, "expires_in"));
	r = CLOUDAUTH_OK;
out:
	if (j) {
		wipe_json(j);
		cJSON_Delete(j);
	}
	return r;
}

/* The endpoint's own account of an error: OAuth's error and error_description, Google's
 * {"error": {"message": ...}} or {"message": ...} - only these string fields, each masked,
 * never any other part of a JSON body (it may hold the token); the first line of a short text
 * body, masked; otherwise nothing but the body's size. Each quote is cut visibly (100 bytes
 * of the code, 300 of the description, 200 of a text). Malloc'd ("" when there is nothing to
 * say); NULL when out of memory. */
static char *error_text(const char *body, size_t len)
{
	if (!body || !len)
		return strdup("");
	cJSON *j = cJSON_ParseWithLength(body, len);
	const char *p = body;
	while (p < body + len && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
		p++;
	bool json = j != NULL || (p < body + len && (*p == '{' || *p == '['));
	char *out = NULL;
	bool oom = false;
	if (cJSON_IsObject(j)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "error_description");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
		char *code = NULL, *desc = NULL;
		if (cJSON_IsString(e) && e->valuestring)
			oom = !(code = quote_line(e->valuestring, 100));
		else if (cJSON_IsObject(e))
			m = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(d) && d->valuestring)
			/* Entra ID appends "\r\nTrace ID: ..." lines: the first line says it */
			oom = oom || !(desc = quote_line(d->valuestring, 300));
		else if (cJSON_IsString(m) && m->valuestring)
			oom = oom || !(desc = quote_line(m->valuestring, 300));
		if (!oom && ((code && *code) || (desc && *desc)))
			oom = !(out = log_dupf("%s%s%s", code ? code : "",
			                       code && *code && desc && *desc ? ": " : "",
			                       desc ? desc : ""));
		free(code);
		free(desc);
	}
	if (j) {
		wipe_json(j);
		cJSON_Delete(j);
	}
	if (oom)
		return NULL;
	if (out)
		return out;
	if (json || len > CLOUDAUTH_QUOTE_MAX || memchr(body, '\0', len))
		/* a JSON body without an error text (or one cut short), or a long page: its size
		 * only */
		return log_dupf("a %s body of %zu bytes", json ? "JSON" : "text", len);
	/* a short text: the first non-empty line, masked */
	return quote_line(p, 200);
}

/* Register the access_token of any JSON answer as a secret, before a message is built. */
static void register_token(const char *body, size_t len)
{
	if (!body || !len)
		return;
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *at =
	        cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "access_token") : NULL;
	if (cJSON_IsString(at) && at->valuestring && *at->valuestring)
		log_set_transient_secret(SLOT_TOKEN, at->valuestring);
	if (j) {
		wipe_json(j);
		cJSON_Delete(j);
	}
}

enum cloudauth_result cloudauth_parse_response(enum cloudauth_flow flow, long status,
                                               const char *body, size_t body_len,
                                               struct cloudauth_token *tok, char *reason,
                                               size_t cap)
{
	memset(tok, 0, sizeof *tok);
	tok->expires_in_s = -1;
	register_token(body, body_len);
	if (status >= 200 && status < 300)
		return parse_token(body ? body : "", body ? body_len : 0, status, tok, reason,
		                   cap);

	enum cloudauth_result r;
	if (status == 408 || status == 429 || status >= 500)
		r = CLOUDAUTH_TRANSIENT;
	else if (flow == FLOW_AZURE_IMDS && (status == 404 || status == 410))
		/* IMDS: "404: IMDS endpoint is updating", "410: available within 70 seconds" */
		r = CLOUDAUTH_TRANSIENT;
	else if (status == 400 || status == 401 || status == 403 ||
	         (flow == FLOW_GCP_METADATA && status == 404))
		r = CLOUDAUTH_REFUSED;
	else
		r = CLOUDAUTH_BAD;
	char *text = error_text(body, body_len);
	reasonf(reason, cap, "HTTP %ld%s%s", status, text && *text ? ": " : "",
	        text ? text : "(out of memory)");
	free(text);
	return r;
}

/* ---------- fetching ---------- */

/* Read the federated token file (re-read on every request: the kubelet rotates it). */
static char *read_assertion(const char *path, char *why, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, cap, "%s", strerror(errno));
		return NULL;
	}
	char *buf = malloc(CLOUDAUTH_MAX_ASSERTION + 1);
	size_t got = 0;
	ssize_t n = 0;
	while (buf && got < CLOUDAUTH_MAX_ASSERTION &&
	       (n = read(fd, buf + got, CLOUDAUTH_MAX_ASSERTION - got)) > 0)
		got += (size_t)n;
	int saved = errno;
	close(fd);
	if (!buf) {
		snprintf(why, cap, "out of memory");
		return NULL;
	}
	buf[got] = '\0';
	if (n < 0) {
		snprintf(why, cap, "%s", strerror(saved));
		wipe_free(buf, got);
		return NULL;
	}
	while (got > 0 && isspace((unsigned char)buf[got - 1]))
		buf[--got] = '\0';
	if (got == 0) {
		snprintf(why, cap, "the file is empty");
		wipe_free(buf, CLOUDAUTH_MAX_ASSERTION);
		return NULL;
	}
	if (got == CLOUDAUTH_MAX_ASSERTION || strlen(buf) != got) {
		snprintf(why, cap, "the file is not a token (too long, or binary)");
		wipe_free(buf, got);
		return NULL;
	}
	return buf;
}

enum cloudauth_result cloudauth_fetch(const struct cloudauth *ca, int64_t timeout_ms,
                                      struct cloudauth_token *tok, char *reason, size_t cap)
{
	memset(tok, 0, sizeof *tok);
	tok->expires_in_s = -1;
	char why[1024];
	char *assertion = NULL;
	enum cloudauth_result r = CLOUDAUTH_TRANSIENT;
	struct cloudauth_request req = {0};
	struct http_response resp = {0};
	if (ca->flow == FLOW_AZURE_WORKLOAD) {
		assertion = read_assertion(ca->token_file, why, sizeof why);
		if (!assertion) {
			/* the projected volume is there before the container starts; a failed read
			 * is a rotation in progress or a broken mount: try again */
			reasonf(reason, cap,
			        "could not read the federated token file \"%s\" "
			        "(AZURE_FEDERATED_TOKEN_FILE): %s",
			        ca->token_file, why);
			return CLOUDAUTH_TRANSIENT;
		}
		log_set_transient_secret(SLOT_ASSERTION, assertion);
	}
	if (!cloudauth_build_request(ca, assertion, &req)) {
		snprintf(why, sizeof why, "out of memory");
		goto out;
	}
	struct http_request hr = {
	        .method = req.method,
	        .url = req.url,
	        .headers = req.headers,
	        .body = req.body,
	        .body_len = req.body_len,
	        .timeout_ms = timeout_ms < 1 ? 1 : (long)timeout_ms,
	        .max_response = CLOUDAUTH_MAX_RESPONSE,
	};
	if (http_perform(&hr, &resp) != 0) {
		/* no answer: refused, reset, timed out, name not resolvable (yet) */
		snprintf(why, sizeof why, "%s", resp.error);
		r = CLOUDAUTH_TRANSIENT;
		goto out;
	}
	r = cloudauth_parse_response(ca->flow, resp.status, resp.body, resp.body_len, tok, why,
	                             sizeof why);
	if (r == CLOUDAUTH_OK) {
		log_set_transient_secret(SLOT_TOKEN, tok->access_token);
		if (tok->expires_in_s >= 0)
			log_debug("got an access token from %s (valid for %lld s)", ca->shown,
			          (long long)tok->expires_in_s);
		else
			log_debug("got an access token from %s", ca->shown);
	}
out:
	if (resp.body)
		OPENSSL_cleanse(resp.body, resp.body_len);
	http_response_free(&resp);
	cloudauth_request_free(&req);
	if (assertion)
		wipe_free(assertion, 0);
	if (r != CLOUDAUTH_OK)
		/* the endpoint's text could, in theory, quote what it was sent: scrubbed whole
		 * before it is cut to cap */
		reasonf(reason, cap, "could not get an access token from %s (%s): %s", ca->name,
		        ca->shown, why);
	return r;
}

void cloudauth_token_free(struct cloudauth_token *tok)
{
	wipe_free(tok->access_token, tok->len);
	memset(tok, 0, sizeof *tok);
	tok->expires_in_s = -1;
}

/* ---------- configuration ---------- */

static bool is_loopback_url(const char *url)
{
	const char *h = strstr(url, "://");
	if (!h)
		return false;
	h += 3;
	static const char *const loop[] = {"127.", "localhost:", "localhost/", "[::1]"};
	for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++)
		if (strncmp(h, loop[i], strlen(loop[i])) == 0)
			return true;
	return strcmp(h, "localhost") == 0;
}

static bool has_scheme(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* A URL given in a variable: http(s), no query, no fragment, no userinfo, no whitespace. */
static bool plain_base_url(const char *url)
{
	if (!has_scheme(url) || strpbrk(url, "?#@ \t\r\n"))
		return false;
	const char *host = strstr(url, "://") + 3;
	return *host && *host != '/';
}

/* Copy s without its trailing slashes into out; false (out untouched) when it does not fit:
 * the caller refuses the value rather than use a cut one. */
static bool copy_trimmed(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		n--;
	if (n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* A rejected variable's value as it may be quoted: everything before the last '@' (after
 * a scheme) masked - a userinfo password, or a token given as user name - then, for a URL,
 * http_redact_url() (query, fragment); for anything else, what follows a '?' or '#'.
 * Whole and malloc'd; NULL when out of memory. */
static char *shown_value(const char *value)
{
	char *buf;
	const char *at = strrchr(value, '@');
	if (at) {
		const char *sch = strstr(value, "://");
		int keep = sch && sch < at ? (int)(sch + 3 - value) : 0;
		buf = log_dupf("%.*s***@%s", keep, value, at + 1);
	} else {
		buf = strdup(value);
	}
	if (!buf)
		return NULL;
	char *out;
	if (strstr(buf, "://")) {
		out = http_redact_url_dup(buf);
	} else {
		size_t n = strcspn(buf, "?#");
		if (buf[n])
			buf[n + 1] = '\0';
		out = log_dupf("%s%s", buf, buf[n] ? "***" : "");
	}
	wipe_free(buf, 0);
	return out;
}

/* The value is quoted redacted and scrubbed, then cut visibly to about 200 bytes. */
static int bad_var(struct err *e, const char *var, const char *value, const char *detail,
                   const char *hint)
{
	char *shown = shown_value(value);
	char *scrubbed = shown ? log_scrubbed_dup(shown) : NULL;
	char cut[256];
	log_cut_copy(cut, sizeof cut, scrubbed ? scrubbed : "***");
	free(shown);
	log_wipe_free(scrubbed);
	return err_set(e, EXIT_CONFIG, "auth_config", hint, detail, "invalid value \"%s\" for %s",
	               cut, var);
}

/* A value that does not fit its field is refused, never cut. */
static int too_long(struct err *e, const char *var, const char *value, size_t cap)
{
	char detail[128];
	_Static_assert(sizeof detail > sizeof "It is 18446744073709551615 bytes long; at most "
	                                      "18446744073709551615 are accepted.",
	               "detail[] holds two sizes");
	snprintf(detail, sizeof detail, "It is %zu bytes long; at most %zu are accepted.",
	         strlen(value), cap - 1);
	return bad_var(e, var, value, detail, "Check the value.");
}

static bool ok_id(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
			return false;
	return true;
}

/* The request URL built from the variables would not fit url[]: refused, never cut. */
static int url_too_long(struct err *e, struct cloudauth *ca, int n)
{
	ca->url[0] = '\0';
	return err_set(e, EXIT_CONFIG, "auth_config",
	               "Shorten the variables that make it up (the endpoint, resource and IDs).",
	               NULL, "the URL of %s would be %d bytes long, more than the %zu accepted",
	               ca->name, n, sizeof ca->url - 1);
}

static int load_azure(struct cloudauth *ca, struct err *e)
{
	const char *resource = env("DBREADY_AZURE_RESOURCE");
	if (resource && (strncmp(resource, "https://", 8) != 0 || strpbrk(resource, "?# \t")))
		return bad_var(e, "DBREADY_AZURE_RESOURCE", resource,
		               "The resource is an https:// application ID URI.",
		               "Leave it unset for Azure's public cloud (" CLOUDAUTH_AZURE_RESOURCE
		               "); sovereign clouds use e.g. "
		               "https://ossrdbms-aad.database.usgovcloudapi.net.");
	if (!copy_trimmed(ca->resource, sizeof ca->resource,
	                  resource ? resource : CLOUDAUTH_AZURE_RESOURCE))
		return too_long(e, "DBREADY_AZURE_RESOURCE", resource, sizeof ca->resource);
	if (strlen(ca->resource) > 9 &&
	    strcmp(ca->resource + strlen(ca->resource) - 9, "/.default") == 0)
		ca->resource[strlen(ca->resource) - 9] = '\0';
	const char *client = env("AZURE_CLIENT_ID");
	if (client && !ok_id(client))
		return bad_var(
		        e, "AZURE_CLIENT_ID", client,
		        "A client ID is a GUID such as 00000000-0000-0000-0000-000000000000.",
		        "Set it to the client (application) ID of the managed identity or "
		        "app registration.");
	if (client && strlen(client) >= sizeof ca->client_id)
		return too_long(e, "AZURE_CLIENT_ID", client, sizeof ca->client_id);
	snprintf(ca->client_id, sizeof ca->client_id, "%s", client ? client : "");

	const char *file = env("AZURE_FEDERATED_TOKEN_FILE");
	if (file) {
		ca->flow = FLOW_AZURE_WORKLOAD;
		ca->name = "the Entra ID token endpoint";
		ca->endpoint_var = "AZURE_AUTHORITY_HOST";
		const char *tenant = env("AZURE_TENANT_ID");
		if (!client || !tenant) {
			char detail[256]; /* two variable names: < 64 bytes */
			snprintf(detail, sizeof detail, "%s%s%s not set.",
			         !client ? "AZURE_CLIENT_ID" : "",
			         !client && !tenant ? " and " : "",
			         !tenant ? "AZURE_TENANT_ID" : "");
			return err_set(
			        e, EXIT_CONFIG, "auth_config",
			        "The AKS workload identity webhook sets AZURE_CLIENT_ID, "
			        "AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and "
			        "AZURE_AUTHORITY_HOST when the pod is labelled "
			        "azure.workload.identity/use: \"true\" and its service account is "
			        "annotated azure.workload.identity/client-id. Elsewhere, set them "
			        "yourself (or unset AZURE_FEDERATED_TOKEN_FILE to use "
			        "the VM's managed identity).",
			        detail,
			        "AZURE_FEDERATED_TOKEN_FILE is set, but workload identity also "
			        "needs the "
			        "client and tenant IDs");
		}
		if (!ok_id(tenant))
			return bad_var(
			        e, "AZURE_TENANT_ID", tenant,
			        "A tenant ID is a GUID or a domain such as "
			        "contoso.onmicrosoft.com.",
			        "Set it to the directory (tenant) ID of the app registration or "
			        "managed identity.");
		if (strlen(tenant) >= sizeof ca->tenant_id)
			return too_long(e, "AZURE_TENANT_ID", tenant, sizeof ca->tenant_id);
		if (strlen(file) >= sizeof ca->token_file)
			return too_long(e, "AZURE_FEDERATED_TOKEN_FILE", file,
			                sizeof ca->token_file);
		snprintf(ca->tenant_id, sizeof ca->tenant_id, "%s", tenant);
		snprintf(ca->token_file, sizeof ca->token_file, "%s", file);
		char why[256]; /* strerror() or a fixed sentence: < 100 bytes */
		char *a = read_assertion(file, why, sizeof why);
		if (!a)
			return err_set(
			        e, EXIT_CONFIG, "auth_config",
			        "Check that the projected service-account token volume is mounted "
			        "there (the workload identity webhook mounts it at "
			        "/var/run/secrets/azure/tokens/azure-identity-token) and readable "
			        "by this user.",
			        why, "could not read AZURE_FEDERATED_TOKEN_FILE \"%s\"", file);
		log_set_transient_secret(SLOT_ASSERTION, a);
		wipe_free(a, 0);
		const char *authority = env("AZURE_AUTHORITY_HOST");
		if (authority && !plain_base_url(authority))
			return bad_var(
			        e, "AZURE_AUTHORITY_HOST", authority,
			        "It is the base URL of the Entra ID login service.",
			        "Leave it unset, or set e.g. https://login.microsoftonline.com/ "
			        "(Azure China: https://login.chinacloudapi.cn/).");
		if (authority && strncmp(authority, "https://", 8) != 0 &&
		    !is_loopback_url(authority))
			return bad_var(
			        e, "AZURE_AUTHORITY_HOST", authority,
			        "The federated token would travel unencrypted; only a loopback "
			        "address may use http:// (tests).",
			        "Use an https:// URL.");
		char base[1024];
		if (!copy_trimmed(base, sizeof base,
		                  authority ? authority : CLOUDAUTH_AZURE_AUTHORITY))
			return too_long(e, "AZURE_AUTHORITY_HOST", authority, sizeof base);
		/* base < 1024 and tenant < 256 bytes: the URL fits url[2048] */
		_Static_assert(sizeof ca->url >= sizeof base + sizeof ca->tenant_id +
		                                         sizeof "//oauth2/v2.0/token",
		               "the workload identity URL fits");
		snprintf(ca->url, sizeof ca->url, "%s/%s/oauth2/v2.0/token", base, tenant);
	} else {
		ca->flow = FLOW_AZURE_IMDS;
		ca->name = "the Azure Instance Metadata Service";
		ca->endpoint_var = "DBREADY_AZURE_IMDS_ENDPOINT";
		const char *imds = env("DBREADY_AZURE_IMDS_ENDPOINT");
		if (imds && !plain_base_url(imds))
			return bad_var(
			        e, "DBREADY_AZURE_IMDS_ENDPOINT", imds,
			        "It is the base URL of the metadata service, without a path.",
			        "Leave it unset (" CLOUDAUTH_AZURE_IMDS "), or give e.g. "
			        "http://127.0.0.1:8080.");
		char base[1024];
		if (!copy_trimmed(base, sizeof base, imds ? imds : CLOUDAUTH_AZURE_IMDS))
			return too_long(e, "DBREADY_AZURE_IMDS_ENDPOINT", imds, sizeof base);
		char *res = cloudauth_form_encode(ca->resource);
		char *id = cloudauth_form_encode(ca->client_id);
		if (!res || !id) {
			free(res);
			free(id);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		/* the resource percent-encoded can triple: check that the URL fits */
		int n = snprintf(
		        ca->url, sizeof ca->url,
		        "%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s",
		        base, res, *id ? "&client_id=" : "", id);
		free(res);
		free(id);
		if (n < 0 || (size_t)n >= sizeof ca->url)
			return url_too_long(e, ca, n);
	}
	return EXIT_DONE;
}

static int load_gcp(struct cloudauth *ca, struct err *e)
{
	ca->flow = FLOW_GCP_METADATA;
	ca->name = "the Google metadata server";
	ca->endpoint_var = "GCE_METADATA_HOST";
	const char *host = env("GCE_METADATA_HOST");
	if (host && (strstr(host, "://") || strpbrk(host, "/?#@ \t\r\n")))
		return bad_var(e, "GCE_METADATA_HOST", host,
		               "Google's client libraries read it as HOST or HOST:PORT.",
		               "Write it without a scheme or path, e.g. 169.254.169.254 or "
		               "127.0.0.1:8080.");
	int n = snprintf(ca->url, sizeof ca->url,
	                 "http://%s/computeMetadata/v1/instance/service-accounts/default/token",
	                 host ? host : CLOUDAUTH_GCE_METADATA_HOST);
	if (n < 0 || (size_t)n >= sizeof ca->url)
		return url_too_long(e, ca, n);
	return EXIT_DONE;
}

int cloudauth_load(const struct config *cfg, const struct dburl *u, struct cloudauth *ca,
                   struct err *e)
{
	memset(ca, 0, sizeof *ca);
	memset(e, 0, sizeof *e);
	if (cfg->auth == AUTH_PASSWORD)
		return EXIT_DONE;
	const char *mode = cloudauth_mode_name(cfg->auth);
	if (u->password_origin) {
		bool env_pw = strcmp(u->password_origin, "PGPASSWORD") == 0;
		char hint[512]; /* a fixed sentence (< 200 bytes) and the mode name (< 10) */
		snprintf(
		        hint, sizeof hint,
		        env_pw ? "Unset PGPASSWORD, or drop --auth=%s to log in with it."
		               : "Remove the password from the URL (postgres://USER@host:5432/db, "
		                 "USER being the identity's database role), or drop --auth=%s to "
		                 "log in with it.",
		        mode);
		return err_set(
		        e, EXIT_CONFIG, "auth_password_given", hint,
		        "With --auth=azure or --auth=gcp the password is an access token, fetched "
		        "before every connection attempt; a fixed password beside it "
		        "is a mistake or a leftover.",
		        "%s has a password, but --auth=%s uses an access token as the password",
		        u->password_origin, mode);
	}
	int rc = cfg->auth == AUTH_AZURE ? load_azure(ca, e) : load_gcp(ca, e);
	if (rc != EXIT_DONE)
		return rc;
	/* a prefix of url: fits, as shown is as large */
	_Static_assert(sizeof ca->shown >= sizeof ca->url, "shown holds the URL");
	snprintf(ca->shown, sizeof ca->shown, "%.*s", (int)strcspn(ca->url, "?"), ca->url);
	log_debug("--auth=%s: a fresh access token from %s (%s%s) is the password of every "
	          "connection%s%s",
	          mode, ca->name, ca->shown,
	          ca->flow == FLOW_AZURE_WORKLOAD ? ", workload identity" : "",
	          *ca->client_id ? ", client ID " : "", ca->client_id);
	return EXIT_DONE;
}

/* ---------- hints ---------- */

/* Each hint function's last hint: malloc'd and sized to the text (it quotes the endpoint URL,
 * up to 2 KiB, and IDs), replaced by the next call of the same function. */
static char *hint_buf, *login_hint_buf;

static const char *hintf(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *hintf(char **buf, const char *fmt, ...)
{
	free(*buf);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!*buf)
		return NULL; /* out of memory: no hint rather than a cut one */
	va_start(ap, fmt);
	vsnprintf(*buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return *buf;
}

const char *cloudauth_hint(const struct cloudauth *ca, enum cloudauth_result result)
{
	if (!ca)
		return NULL;
	if (result == CLOUDAUTH_BAD) {
		return hintf(&hint_buf,
		             "What answered is not a token endpoint, or a broken one: check %s "
		             "(currently %s) and that no proxy answers in its place (NO_PROXY).",
		             ca->endpoint_var, ca->shown);
	}
	switch (ca->flow) {
	case FLOW_AZURE_IMDS:
		if (result == CLOUDAUTH_REFUSED)
			return hintf(
			        &hint_buf,
			        "Give the VM, scale set or AKS node pool a managed identity; with "
			        "several user-assigned identities set AZURE_CLIENT_ID to the "
			        "client ID of the one to use (%s%s%s).",
			        *ca->client_id ? "now \"" : "now unset", ca->client_id,
			        *ca->client_id ? "\"" : "");
		else
			return hintf(
			        &hint_buf,
			        "The Instance Metadata Service answers only on Azure VMs and AKS "
			        "nodes, at 169.254.169.254 and without a proxy: check that no "
			        "NetworkPolicy blocks egress to it. In AKS, prefer workload "
			        "identity (AZURE_FEDERATED_TOKEN_FILE); elsewhere, %s moves the "
			        "endpoint.",
			        ca->endpoint_var);
	case FLOW_AZURE_WORKLOAD:
		if (result == CLOUDAUTH_REFUSED)
			return hintf(
			        &hint_buf,
			        "Check the federated identity credential of client ID \"%s\" in "
			        "tenant \"%s\": its issuer must be the cluster's OIDC issuer URL, "
			        "its subject system:serviceaccount:NAMESPACE:NAME of this pod's "
			        "service account, its audience api://AzureADTokenExchange. A new "
			        "credential can take a minute to work.",
			        ca->client_id, ca->tenant_id);
		else
			return hintf(&hint_buf,
			             "Check egress to %s (NetworkPolicy, firewall, proxy) and "
			             "AZURE_AUTHORITY_HOST.",
			             ca->shown);
	case FLOW_GCP_METADATA:
		if (result == CLOUDAUTH_REFUSED)
			return hintf(
			        &hint_buf,
			        "Attach a service account to the VM, or in GKE bind this pod's "
			        "Kubernetes service account to a Google service account "
			        "(iam.gke.io/gcp-service-account) that has "
			        "roles/cloudsql.instanceUser.");
		else
			return hintf(
			        &hint_buf,
			        "The metadata server answers only on Google Cloud (GCE, GKE, "
			        "Cloud Run): check that %s resolves and that no NetworkPolicy "
			        "blocks egress to 169.254.169.254 port 80; elsewhere, "
			        "GCE_METADATA_HOST moves it.",
			        CLOUDAUTH_GCE_METADATA_HOST);
	}
	return NULL;
}

const char *cloudauth_login_hint(const struct cloudauth *ca, const char *user)
{
	if (!ca)
		return NULL;
	if (ca->flow == FLOW_GCP_METADATA)
		return hintf(
		        &login_hint_buf,
		        "The server took the access token but not as user \"%s\": the user is the "
		        "service account's email without \".gserviceaccount.com\" (in the URL, "
		        "\"@\" written as %%40), added with gcloud sql users create "
		        "--type=cloud_iam_service_account, on an instance with "
		        "cloudsql.iam_authentication=on, reached over TLS.",
		        user);
	else
		return hintf(
		        &login_hint_buf,
		        "The server took the access token but not as user \"%s\": the user is the "
		        "managed identity's or app's name as created with "
		        "pgaadauth_create_principal(), on a server with Microsoft Entra "
		        "authentication on, reached over TLS.",
		        user);
}
