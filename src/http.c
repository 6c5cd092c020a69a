/* http.c - libcurl setup shared by every HTTP user, one blocking request, URL redaction. */
#define _POSIX_C_SOURCE 200809L
#include "http.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "signals.h"
#include "version.h"

#define DEFAULT_MAX_RESPONSE (64 * 1024)

static bool initialised;
static char *ca_file; /* malloc'd, sized to the path; NULL = libcurl's default bundle */

/* libcurl reads proxies from the environment and quotes a proxy URL, userinfo and all, in
 * some error texts ("Unsupported proxy scheme for 'htp://user:pw@proxy'"): register the
 * whole value (when it holds '@') and its password (or user name used as a token). */
static void register_proxy_secrets(void)
{
	static const char *const names[] = {"http_proxy", "https_proxy", "all_proxy",
	                                    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		const char *at = v ? strrchr(v, '@') : NULL;
		if (!at)
			continue;
		log_add_secret(v);
		const char *sep = strstr(v, "://");
		const char *u = sep && sep < at ? sep + 3 : v;
		const char *colon = memchr(u, ':', (size_t)(at - u));
		const char *secret = colon && colon + 1 < at ? colon + 1 : u;
		/* the whole password, however long: a prefix registered in its place would leave
		 * the rest of it to be printed */
		size_t n = (size_t)(at - secret);
		char *buf = strndup(secret, n);
		if (!buf || n > INT_MAX) {
			log_fail_closed();
			log_wipe_free(buf);
			continue;
		}
		log_add_secret(buf);
		char *dec = curl_easy_unescape(NULL, buf, (int)n, NULL);
		if (dec) {
			log_add_secret(dec);
			curl_free(dec);
		}
		log_wipe_free(buf);
	}
}

int http_global_init(void)
{
	if (initialised)
		return 0;
	register_proxy_secrets();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	initialised = true;
	return 0;
}

void http_global_cleanup(void)
{
	if (!initialised)
		return;
	curl_global_cleanup();
	initialised = false;
}

bool http_set_ca_file(const char *path)
{
	free(ca_file);
	ca_file = NULL;
	if (!path || !*path)
		return true;
	ca_file = strdup(path);
	return ca_file != NULL;
}

const char *http_ca_file(void)
{
	return ca_file;
}

void http_apply_common(CURL *h, long timeout_ms)
{
	if (timeout_ms < 1)
		timeout_ms = 1;
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	/* no SIGALRM for DNS timeouts: dbready owns its signals (signals.c) */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dbready/" DBREADY_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
#if LIBCURL_VERSION_NUM >= 0x075700
	/* on SIGTERM a pending name lookup is abandoned, not waited for (curl >= 7.87) */
	curl_easy_setopt(h, CURLOPT_QUICK_EXIT, 1L);
#endif
	if (ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
}

struct sink {
	struct http_response *resp;
	size_t cap; /* allocated */
	size_t max; /* allowed */
	bool discard_excess;
	bool too_big;
	bool oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	struct http_response *r = s->resp;
	if (n > s->max - r->body_len) {
		if (s->discard_excess) {
			size_t keep = s->max - r->body_len;
			if (keep)
				on_body(data, 1, keep, userdata);
			return n;
		}
		s->too_big = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (r->body_len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap : 1024;
		while (ncap < r->body_len + n + 1)
			ncap *= 2;
		char *nb = realloc(r->body, ncap);
		if (!nb) {
			s->oom = true;
			return 0;
		}
		r->body = nb;
		s->cap = ncap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* Drive one easy handle on a private multi handle, so that SIGTERM/SIGINT (signals.c's
 * descriptor) ends the wait at once. A request that starts after a signal was caught (the
 * outcome webhook of a stopped run) is not interrupted: its timeout bounds it. */
static CURLcode run_transfer(CURL *h, char *error, size_t cap)
{
	CURLM *m = curl_multi_init();
	if (!m) {
		snprintf(error, cap, "could not initialise libcurl");
		return CURLE_OUT_OF_MEMORY;
	}
	CURLcode result = CURLE_FAILED_INIT;
	bool interruptible = signals_caught() == 0 && signals_fd() >= 0;
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		snprintf(error, cap, "could not initialise libcurl");
		curl_multi_cleanup(m);
		return result;
	}
	int running = 1;
	for (;;) {
		CURLMcode mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			snprintf(error, cap, "%s", curl_multi_strerror(mc));
			goto out;
		}
		if (!running)
			break;
		struct curl_waitfd wfd = {.fd = signals_fd(), .events = CURL_WAIT_POLLIN};
		mc = curl_multi_poll(m, interruptible ? &wfd : NULL, interruptible ? 1 : 0, 1000,
		                     NULL);
		if (mc != CURLM_OK) {
			snprintf(error, cap, "%s", curl_multi_strerror(mc));
			goto out;
		}
		if (interruptible && signals_caught()) {
			snprintf(error, cap, "interrupted by %s", signals_name(signals_caught()));
			result = CURLE_ABORTED_BY_CALLBACK;
			goto out;
		}
	}
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == h)
			result = msg->data.result;
out:
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return result;
}

/* Copy curl's error text to out, every word holding an '@' (a URL with userinfo, e.g. a
 * proxy's) redacted as a URL. The whole text is redacted first, however long its words, then
 * cut visibly to cap (log_cut_copy): a word is never cut before its '@' is seen. */
void http_redact_error(const char *text, char *out, size_t cap)
{
	if (!cap)
		return;
	char *full = http_redact_error_dup(text);
	log_cut_copy(out, cap, full ? full : "***");
	free(full);
}

char *http_redact_error_dup(const char *text)
{
	static const char delim[] = " \t\r\n'\"<>()[],;";
	/* each word grows by at most HTTP_REDACT_GROWTH, and a word is at least one byte */
	size_t len = strlen(text);
	if (len > (SIZE_MAX - 1) / (HTTP_REDACT_GROWTH + 1))
		return NULL;
	size_t cap = len * (HTTP_REDACT_GROWTH + 1) + 1;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = 0;
	out[0] = '\0';
	while (*text) {
		size_t w = strcspn(text, delim);
		if (w == 0) {
			out[o++] = *text++;
			out[o] = '\0';
			continue;
		}
		if (memchr(text, '@', w)) {
			char *word = strndup(text, w);
			char *red = word ? http_redact_url_dup(word) : NULL;
			free(word);
			if (!red) {
				free(out);
				return NULL;
			}
			size_t rn = strlen(red);
			memcpy(out + o, red, rn + 1);
			o += rn;
			free(red);
		} else {
			memcpy(out + o, text, w);
			o += w;
			out[o] = '\0';
		}
		text += w;
	}
	return out;
}

/* resp->error from curl's text: userinfo redacted and registered secrets scrubbed in the
 * whole text, then cut visibly to the field (a secret cut in half would not be recognised). */
static void set_error(struct http_response *resp, const char *text)
{
	char *red = http_redact_error_dup(text);
	char *full = red ? log_scrubbed_dup(red) : NULL;
	log_cut_copy(resp->error, sizeof resp->error, full ? full : "***");
	free(red);
	log_wipe_free(full);
}

int http_perform(const struct http_request *req, struct http_response *resp)
{
	memset(resp, 0, sizeof *resp);
	int rc = -1;
	CURL *h = NULL;
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = {.resp = resp,
	                 .max = req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE,
	                 .discard_excess = req->discard_excess};

	if (http_global_init() != 0 || !(h = curl_easy_init())) {
		snprintf(resp->error, sizeof resp->error, "could not initialise libcurl");
		goto out;
	}
	http_apply_common(h, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n = curl_slist_append(hdrs, *p);
		if (!n) {
			snprintf(resp->error, sizeof resp->error, "out of memory");
			goto out;
		}
		hdrs = n;
	}
	if (hdrs)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (req->method && strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}

	CURLcode cc = run_transfer(h, resp->error, sizeof resp->error);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	resp->status = status;
	if (s.oom) {
		snprintf(resp->error, sizeof resp->error, "out of memory");
	} else if (s.too_big) {
		snprintf(resp->error, sizeof resp->error,
		         "the response body is larger than %zu bytes", s.max);
	} else if (cc == CURLE_ABORTED_BY_CALLBACK && resp->error[0]) {
		/* interrupted by a signal: run_transfer said so */
	} else if (cc != CURLE_OK) {
		/* curl's messages name host and port, but a proxy URL from the environment
		 * is quoted whole: redact any userinfo */
		set_error(resp, errbuf[0] ? errbuf : curl_easy_strerror(cc));
	} else {
		resp->error[0] = '\0';
		rc = 0;
	}
out:
	curl_slist_free_all(hdrs);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

void http_response_free(struct http_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

/* A string builder over a buffer sized by the caller from HTTP_REDACT_GROWTH; a text that
 * would not fit (the bound is wrong) sets overflow, and the caller fails closed. */
struct sbuf {
	char *p;
	size_t cap, len;
	bool overflow;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->overflow || n > b->cap - 1 - b->len) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Length of a leading "scheme://" (letter, then letters, digits, '+', '-', '.'), or 0. */
static size_t scheme_len(const char *s)
{
	size_t i = 0;
	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

/* The redacted URL, whole, malloc'd; NULL when out of memory. Every piece is copied as it is
 * or replaced by a mask at most 3 bytes longer than the one or more bytes it replaces: a
 * userinfo ending in '@' by "***@" or "USER:***@", a query by "?***", a fragment by "#***",
 * a hidden path by a slash and three stars. At most three masks: HTTP_REDACT_GROWTH (9). */
static char *redact_dup(const char *url, bool hide_path)
{
	if (!url)
		url = "";
	size_t cap = strlen(url) + HTTP_REDACT_GROWTH + 1;
	struct sbuf b = {malloc(cap), cap, 0, false};
	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	size_t sl = scheme_len(url);
	put(&b, url, sl);
	const char *p = url + sl;
	/* Any '@' may end a userinfo: a password may hold unencoded '/', '?', '#', '@' and
	 * the URL may be mistyped ("http:/u:pw@h", "//u:pw@h"). Everything up to the last
	 * '@' is masked; only a user name (before the first ':', holding no '@') followed by
	 * a non-empty password is kept. */
	const char *at = strrchr(p, '@');
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon && colon + 1 < at && !memchr(p, '@', (size_t)(colon - p))) {
			put(&b, p, (size_t)(colon - p));
			puts_(&b, ":***@");
		} else {
			puts_(&b, "***@");
		}
		p = at + 1;
	}
	size_t alen = strcspn(p, "/?#");
	put(&b, p, alen);
	p += alen;
	if (*p && hide_path) {
		puts_(&b, "/***");
	} else if (*p) {
		size_t plen = strcspn(p, "?#");
		put(&b, p, plen);
		p += plen;
		if (*p == '?') {
			puts_(&b, "?***");
			p += strcspn(p, "#");
		}
		if (*p == '#')
			puts_(&b, "#***");
	}
	if (b.overflow) { /* cannot happen (see above); fail closed all the same */
		snprintf(b.p, b.cap, "%s", cap > 3 ? "***" : "");
	}
	return b.p;
}

static void redact(const char *url, char *out, size_t cap, bool hide_path)
{
	if (!cap)
		return;
	char *full = redact_dup(url, hide_path);
	/* redacted whole, then cut visibly: a cut never shows a piece of a password */
	log_cut_copy(out, cap, full ? full : "***");
	free(full);
}

char *http_redact_url_dup(const char *url)
{
	return redact_dup(url, false);
}

char *http_redact_url_path_dup(const char *url)
{
	return redact_dup(url, true);
}

void http_redact_url(const char *url, char *out, size_t cap)
{
	redact(url, out, cap, false);
}

void http_redact_url_path(const char *url, char *out, size_t cap)
{
	redact(url, out, cap, true);
}
