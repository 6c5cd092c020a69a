/* http.h - the one place dbready talks HTTP (libcurl): common handle options, a blocking
 * request for hooks and token endpoints, URL redaction for logs.
 *
 * Ownership: struct http_request only borrows its strings; http_perform() fills a
 * struct http_response whose body the caller releases with http_response_free(). No
 * function here logs: callers report failures (resp->error never holds a secret, as long as
 * the URL's secrets are in its userinfo, query or fragment, which error texts never quote;
 * URLs with userinfo that curl quotes, e.g. an environment proxy's, are redacted, and
 * http_global_init registers the proxy variables' credentials with log_add_secret).
 */
#ifndef DBREADY_HTTP_H
#define DBREADY_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

struct http_request {
	const char *method; /* "GET" or "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" list, or NULL */
	const char *body;           /* POST body, or NULL */
	size_t body_len;
	long timeout_ms;     /* whole request */
	size_t max_response; /* bytes of body kept (more is an error); 0 = 64 KiB */
	bool discard_excess; /* true: a longer body is cut to max_response, not an error */
};

struct http_response {
	long status; /* HTTP status, 0 when no response */
	char *body;  /* NUL-terminated, malloc'd (may be NULL) */
	size_t body_len;
	/* transport error when http_perform returns -1; never a secret; curl's text (at most
	 * CURL_ERROR_SIZE bytes) redacted, cut visibly if redaction made it longer */
	char error[256];
};

/* curl_global_init once (later calls do nothing); 0 ok, -1 when libcurl cannot start. */
int http_global_init(void);
void http_global_cleanup(void);

/* Common options for any easy handle: http/https only (CURLOPT_PROTOCOLS_STR and
 * REDIR_PROTOCOLS_STR), no redirects, NOSIGNAL, user agent "dbready/<version>", the CA file
 * from http_set_ca_file() when set, and both the connect timeout and the whole-transfer
 * timeout set to timeout_ms (at least 1 ms). */
void http_apply_common(CURL *h, long timeout_ms);

/* The CA bundle for HTTPS (copied whole, however long); NULL or "" = libcurl's default bundle
 * (in the static build and the image: /etc/ssl/certs/ca-certificates.crt). false when out of
 * memory (then no CA file is set: the caller must fail, not fall back to the default). */
bool http_set_ca_file(const char *path);
/* The CA file set, or NULL. */
const char *http_ca_file(void);

/* One blocking request. 0 = a response arrived (any status; resp->status, resp->body);
 * -1 = transport error, a body larger than max_response, out of memory, or SIGTERM/SIGINT
 * during the request (resp->error says "interrupted by SIGTERM"; signals_caught() is set).
 * A request started after a signal was caught is not interrupted (timeout_ms bounds it).
 * resp is always initialised: call http_response_free() either way. */
int http_perform(const struct http_request *req, struct http_response *resp);
void http_response_free(struct http_response *resp);

/* A redacted URL is at most this many bytes longer than the URL (http.c says why). */
#define HTTP_REDACT_GROWTH 9

/* Copy url to out (capacity cap > 0) with the userinfo password, the query string and the
 * fragment replaced by "***" ("https://user:***@host/path?***"); a userinfo without a
 * password (a token used as user name, or "token:") becomes "***@". Everything from after
 * the scheme (or the start) up to the LAST '@' anywhere counts as userinfo, so a password
 * holding unencoded '/', '?', '#' or '@', or a mistyped scheme, is still masked. Never
 * fails; what does not fit is cut visibly after redacting (log_cut_copy: "... (cut, N more
 * bytes)"; no mark when cap is too small for one). A buffer of strlen(url) +
 * HTTP_REDACT_GROWTH + 1 bytes always holds the whole result. */
void http_redact_url(const char *url, char *out, size_t cap);
/* The same, whole and malloc'd (the caller frees it); NULL when out of memory. */
char *http_redact_url_dup(const char *url);

/* Like http_redact_url, but everything after the host (path, query, fragment) becomes one
 * masked path, a slash and three stars, e.g. "https://hooks.slack.com" + "/" + "***": for
 * URLs whose path is the secret (Slack, Teams, Discord webhooks). */
void http_redact_url_path(const char *url, char *out, size_t cap);
char *http_redact_url_path_dup(const char *url);

/* Copy an error text (curl's) to out (capacity cap), every word holding an '@' (a URL with
 * userinfo, e.g. an environment proxy's that curl quotes) redacted like http_redact_url,
 * then cut visibly when it does not fit. */
void http_redact_error(const char *text, char *out, size_t cap);
/* The same, whole and malloc'd; NULL when out of memory. */
char *http_redact_error_dup(const char *text);

#endif
