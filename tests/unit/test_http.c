/* test_http.c - URL redaction for logs and payloads, and http_perform's transport errors. */
#include <string.h>

#include "http.h"
#include "unit.h"

struct redact_case {
	const char *url;
	const char *want;      /* http_redact_url */
	const char *want_path; /* http_redact_url_path */
};

/* clang-format off */
static const struct redact_case redact_cases[] = {
	{"http://auth:8080/healthz", "http://auth:8080/healthz", "http://auth:8080/***"},
	{"https://user:s3cret@host/path?token=abc", "https://user:***@host/path?***",
	 "https://user:***@host/***"},
	{"https://user:p@ss@host:443/x", "https://user:***@host:443/x", "https://user:***@host:443/***"},
	{"https://ghp_TOKEN@github.com/x", "https://***@github.com/x", "https://***@github.com/***"},
	{"https://user:@host/", "https://user:***@host/", "https://user:***@host/***"},
	{"http://host", "http://host", "http://host"},
	{"http://host?k=v", "http://host?***", "http://host/***"},
	{"http://host/a#frag", "http://host/a#***", "http://host/***"},
	{"http://host/a?q=1#status=204", "http://host/a?***#***", "http://host/***"},
	{"http://[::1]:8080/ready", "http://[::1]:8080/ready", "http://[::1]:8080/***"},
	{"https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/T0/B0/XYZ",
	 "https://hooks.slack.com/***"},
	{"tcp://redis:6379", "tcp://redis:6379", "tcp://redis:6379"},
	{"tcp://u:pw@redis:6379", "tcp://u:***@redis:6379", "tcp://u:***@redis:6379"},
	/* no scheme: the authority starts at once */
	{"user:pw@host/x", "user:***@host/x", "user:***@host/***"},
	/* an '@' in the path is not userinfo */
	{"http://host/a@b", "http://host/a@b", "http://host/***"},
	/* "://" after a '/' is not a scheme separator */
	{"/x?u=http://a:b@c", "/x?***", "/***"},
	{"", "", ""},
};
/* clang-format on */

static void redact_body(const void *arg)
{
	const struct redact_case *c = arg;
	char out[256];
	http_redact_url(c->url, out, sizeof out);
	EXPECT_STR(out, c->want);
	http_redact_url_path(c->url, out, sizeof out);
	EXPECT_STR(out, c->want_path);
}

static void redact_truncates(void)
{
	if (!unit_begin("http: redaction truncates and never overflows"))
		return;
	char out[12];
	memset(out, 'X', sizeof out);
	http_redact_url("https://user:secret@very-long-host.example/path?q", out, sizeof out);
	EXPECT_INT(strlen(out), sizeof out - 1);
	EXPECT(strstr(out, "secret") == NULL, "secret in \"%s\"", out);
	char one[1];
	http_redact_url("https://a:b@c", one, sizeof one);
	EXPECT_INT(one[0], 0);
	char small[20];
	http_redact_url(NULL, small, sizeof small);
	EXPECT_STR(small, "");
	unit_end();
}

/* Nothing listens on port 1 of the loopback address: a transport error, no status. */
static void perform_refused(const void *arg)
{
	(void)arg;
	struct http_response r;
	struct http_request q = {
	        .method = "GET", .url = "http://127.0.0.1:1/", .timeout_ms = 2000};
	EXPECT_INT(http_perform(&q, &r), -1);
	EXPECT_INT(r.status, 0);
	EXPECT(r.error[0] != '\0', "no error text");
	http_response_free(&r);
	struct http_request bad = {
	        .method = "GET", .url = "file:///etc/passwd", .timeout_ms = 500};
	EXPECT_INT(http_perform(&bad, &r), -1);
	EXPECT(r.body == NULL, "file:// read a body");
	http_response_free(&r);
	http_global_cleanup();
}

void suite_http(void)
{
	for (size_t i = 0; i < sizeof redact_cases / sizeof redact_cases[0]; i++) {
		if (!unit_begin("http: redact \"%s\"", redact_cases[i].url))
			continue;
		unit_isolated(redact_body, &redact_cases[i]);
		unit_end();
	}
	redact_truncates();
	if (unit_begin("http: refused connection and a non-HTTP scheme are transport errors")) {
		unit_isolated(perform_refused, NULL);
		unit_end();
	}
}
