/* test_cloudauth.c - --auth=azure|gcp: token endpoint configuration, request building,
 * answer parsing and classification, JWT masking, and the log's transient secrets. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloudauth.h"
#include "dburl.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "unit.h"

/* ---------- cloudauth_form_encode ---------- */

static void encode_cases(void)
{
	static const char *const cases[][2] = {
	        {"", ""},
	        {"abcXYZ019-._~", "abcXYZ019-._~"},
	        {"https://ossrdbms-aad.database.windows.net/.default",
	         "https%3A%2F%2Fossrdbms-aad.database.windows.net%2F.default"},
	        {CLOUDAUTH_JWT_BEARER,
	         "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"},
	        {"a b+c&d=e%f", "a%20b%2Bc%26d%3De%25f"},
	        {"\xc3\xa9", "%C3%A9"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!unit_begin("cloudauth: form-encode \"%s\"", cases[i][0]))
			continue;
		char *got = cloudauth_form_encode(cases[i][0]);
		EXPECT_STR(got, cases[i][1]);
		free(got);
		unit_end();
	}
}

/* ---------- cloudauth_mask_jwts ---------- */

static void mask_cases(void)
{
	static const char *const cases[][2] = {
	        {"assertion eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl rejected",
	         "assertion *** rejected"},
	        {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "***"},
	        {"(eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_x)", "(***)"},
	        /* host names, GUIDs and AADSTS codes stay */
	        {"https://login.microsoftonline.com/error?code=70021",
	         "https://login.microsoftonline.com/error?code=70021"},
	        {"AADSTS70021: No matching federated identity record found.",
	         "AADSTS70021: No matching federated identity record found."},
	        {"Trace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333",
	         "Trace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333"},
	        /* short or dot-less: not a JWT */
	        {"eyJ.a.b", "eyJ.a.b"},
	        {"eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiJ4In0", "eyJhbGciOiJSUzI1NiJ9eyJzdWIiOiJ4In0"},
	        /* only a run that starts with eyJ */
	        {"xeyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
	         "xeyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"},
	        {"two eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA and eyJhbGciOiJIUzI1NiJ9.e30.BBBB",
	         "two *** and ***"},
	        {"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!unit_begin("cloudauth: mask JWTs in \"%.40s\"", cases[i][0]))
			continue;
		char buf[256];
		snprintf(buf, sizeof buf, "%s", cases[i][0]);
		cloudauth_mask_jwts(buf);
		EXPECT_STR(buf, cases[i][1]);
		unit_end();
	}
}

/* ---------- cloudauth_parse_response ---------- */

#define TOKEN "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJvc3NyZGJtcyJ9.sig-_nature"

struct parse_case {
	const char *name;
	enum cloudauth_flow flow;
	long status;
	const char *body;
	enum cloudauth_result want;
	const char *token;  /* on CLOUDAUTH_OK */
	int64_t expires;    /* on CLOUDAUTH_OK */
	const char *reason; /* otherwise: reason contains this */
	const char *absent; /* and never this */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	/* the documented answers (how-to-use-vm-token; v2-oauth2-client-creds-grant-flow;
	 * the Compute Engine metadata server) */
	{"imds_ok", FLOW_AZURE_IMDS, 200,
	 "{\"access_token\": \"" TOKEN "\", \"refresh_token\": \"\", \"expires_in\": \"3599\", "
	 "\"expires_on\": \"1506484173\", \"not_before\": \"1506480273\", \"resource\": "
	 "\"https://ossrdbms-aad.database.windows.net\", \"token_type\": \"Bearer\"}",
	 CLOUDAUTH_OK, TOKEN, 3599, NULL, NULL},
	{"entra_ok", FLOW_AZURE_WORKLOAD, 200,
	 "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
	 "\"access_token\":\"" TOKEN "\"}",
	 CLOUDAUTH_OK, TOKEN, 3599, NULL, NULL},
	{"gcp_ok", FLOW_GCP_METADATA, 200,
	 "{\"access_token\":\"ya29.c.b0Aaek-_x.y\",\"expires_in\":3599,\"token_type\":\"Bearer\"}",
	 CLOUDAUTH_OK, "ya29.c.b0Aaek-_x.y", 3599, NULL, NULL},
	{"no_expiry", FLOW_GCP_METADATA, 200, "{\"access_token\":\"abc\"}",
	 CLOUDAUTH_OK, "abc", -1, NULL, NULL},
	{"expiry_garbage", FLOW_AZURE_IMDS, 200, "{\"access_token\":\"abc\",\"expires_in\":\"soon\"}",
	 CLOUDAUTH_OK, "abc", -1, NULL, NULL},
	/* answers that are no token: exit 10 at once */
	{"html", FLOW_AZURE_IMDS, 200, "<html><body>Welcome to nginx!</body></html>",
	 CLOUDAUTH_BAD, NULL, 0, "is not a JSON object", "nginx"},
	{"empty", FLOW_GCP_METADATA, 200, "", CLOUDAUTH_BAD, NULL, 0, "not a JSON object", NULL},
	{"array", FLOW_GCP_METADATA, 200, "[1,2]", CLOUDAUTH_BAD, NULL, 0, "not a JSON object", NULL},
	{"no_access_token", FLOW_AZURE_WORKLOAD, 200, "{\"token_type\":\"Bearer\",\"expires_in\":3599}",
	 CLOUDAUTH_BAD, NULL, 0, "has no access_token; its keys: token_type, expires_in", NULL},
	{"access_token_number", FLOW_AZURE_IMDS, 200, "{\"access_token\":42}",
	 CLOUDAUTH_BAD, NULL, 0, "has no access_token string", NULL},
	{"access_token_empty", FLOW_AZURE_IMDS, 200, "{\"access_token\":\"\"}",
	 CLOUDAUTH_BAD, NULL, 0, "has no access_token", NULL},
	{"access_token_space", FLOW_AZURE_IMDS, 200, "{\"access_token\":\"a b\"}",
	 CLOUDAUTH_BAD, NULL, 0, "printable ASCII", "a b"},
	{"access_token_newline", FLOW_AZURE_IMDS, 200, "{\"access_token\":\"ab\\ncd\"}",
	 CLOUDAUTH_BAD, NULL, 0, "printable ASCII", NULL},
	{"redirect", FLOW_AZURE_WORKLOAD, 302, "", CLOUDAUTH_BAD, NULL, 0, "HTTP 302", NULL},
	{"entra_404", FLOW_AZURE_WORKLOAD, 404, "Not Found", CLOUDAUTH_BAD, NULL, 0,
	 "HTTP 404: Not Found", NULL},
	{"method_405", FLOW_GCP_METADATA, 405, "", CLOUDAUTH_BAD, NULL, 0, "HTTP 405", NULL},
	/* refusals: exit 5 at once */
	{"imds_identity_not_found", FLOW_AZURE_IMDS, 400,
	 "{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 400: invalid_request: Identity not found", NULL},
	{"imds_no_header", FLOW_AZURE_IMDS, 400,
	 "{\"error\":\"bad_request_102\",\"error_description\":\"Required metadata header not "
	 "specified\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "bad_request_102: Required metadata header not specified", NULL},
	{"entra_no_federated_record", FLOW_AZURE_WORKLOAD, 400,
	 "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS70021: No matching federated "
	 "identity record found for presented assertion. Assertion Issuer: 'https://oidc.example'. "
	 "Assertion Subject: 'system:serviceaccount:app:dbready'.\\r\\nTrace ID: 1\\r\\nCorrelation "
	 "ID: 2\\r\\nTimestamp: 2025-01-01 00:00:00Z\",\"error_codes\":[70021],"
	 "\"timestamp\":\"2025-01-01 00:00:00Z\",\"trace_id\":\"1\",\"correlation_id\":\"2\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "invalid_client: AADSTS70021: No matching federated identity",
	 "Trace ID"},
	{"entra_echoes_a_jwt", FLOW_AZURE_WORKLOAD, 401,
	 "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700024: Client assertion "
	 TOKEN " is not within its valid time range.\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "Client assertion *** is not within", TOKEN},
	/* a JWT past the quoted length is masked before the text is cut, not cut and left */
	{"jwt_at_the_cut", FLOW_AZURE_WORKLOAD, 400,
	 "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700024: "
	 "padding padding padding padding padding padding padding padding padding padding padding "
	 "padding padding padding padding padding padding padding padding padding padding padding "
	 "padding padding padding padding padding padding padding padding padding: " TOKEN "\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "invalid_client: AADSTS700024: padding", "eyJ0eXAi"},
	{"gcp_403_text", FLOW_GCP_METADATA, 403,
	 "Your client does not have permission to get URL /computeMetadata/v1/instance/"
	 "service-accounts/default/token from this server. Missing Metadata-Flavor:Google header.\n",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 403: Your client does not have permission", NULL},
	{"gcp_404_no_account", FLOW_GCP_METADATA, 404, "Not Found\n", CLOUDAUTH_REFUSED, NULL, 0,
	 "HTTP 404: Not Found", NULL},
	{"google_error_object", FLOW_GCP_METADATA, 400,
	 "{\"error\":{\"code\":400,\"message\":\"bad scopes\",\"status\":\"INVALID_ARGUMENT\"}}",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 400: bad scopes", NULL},
	/* transient: retried until the deadline, then exit 10 */
	{"imds_404_updating", FLOW_AZURE_IMDS, 404, "", CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 404", NULL},
	{"imds_410_updating", FLOW_AZURE_IMDS, 410, "", CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 410", NULL},
	{"throttled", FLOW_AZURE_IMDS, 429,
	 "{\"error\":\"throttled\",\"error_description\":\"Too many requests\"}",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 429: throttled: Too many requests", NULL},
	{"entra_503", FLOW_AZURE_WORKLOAD, 503, "<html>\r\n<h1>Service Unavailable</h1>",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 503: <html>", NULL},
	{"gcp_500", FLOW_GCP_METADATA, 500, "", CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 500", NULL},
	{"timeout_408", FLOW_GCP_METADATA, 408, "", CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 408", NULL},
	/* a token (or a JSON body) under an error status is never quoted raw */
	{"token_with_500", FLOW_GCP_METADATA, 500,
	 "{\"access_token\":\"ya29.pw-Xq7z-c.b0Aaek\",\"expires_in\":3599}",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 500: a JSON body of ", "pw-Xq7z"},
	{"token_with_403", FLOW_AZURE_IMDS, 403, "{\"access_token\":\"abc-pw-Xq7z\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 403: a JSON body of ", "pw-Xq7z"},
	{"json_cut_short", FLOW_GCP_METADATA, 502, "{\"access_token\":\"pw-Xq7z",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 502: a JSON body of ", "pw-Xq7z"},
	{"token_in_text", FLOW_GCP_METADATA, 503, "upstream said ya29.c.b0Aaek-pw-Xq7z-xyz0123\n",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 503: upstream said ***", "pw-Xq7z"},
	{"token_in_description", FLOW_AZURE_WORKLOAD, 400,
	 "{\"error\":\"invalid_grant\",\"error_description\":\"bad ya29.c.b0Aaek-pw-Xq7z-xyz0123\","
	 "\"access_token\":\"ya29.c.b0Aaek-pw-Xq7z-xyz0123\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 400: invalid_grant: bad ***", "pw-Xq7z"},
	{"message_field", FLOW_GCP_METADATA, 429, "{\"message\":\"quota exceeded\"}",
	 CLOUDAUTH_TRANSIENT, NULL, 0, "HTTP 429: quota exceeded", NULL},
	/* the error text is one bounded, printable line */
	{"control_chars", FLOW_AZURE_IMDS, 400,
	 "{\"error\":\"x\\u001b[31m\",\"error_description\":\"a\\tb\"}",
	 CLOUDAUTH_REFUSED, NULL, 0, "HTTP 400: x [31m: a b", "\x1b"},
};
/* clang-format on */

static void parse_body(const void *arg)
{
	const struct parse_case *c = arg;
	struct cloudauth_token tok;
	char reason[1024] = "";
	enum cloudauth_result r = cloudauth_parse_response(
	        c->flow, c->status, c->body, strlen(c->body), &tok, reason, sizeof reason);
	EXPECT_INT(r, c->want);
	if (c->want == CLOUDAUTH_OK && r == CLOUDAUTH_OK) {
		EXPECT_STR(tok.access_token, c->token);
		EXPECT_INT(tok.len, strlen(c->token));
		EXPECT_INT(tok.expires_in_s, c->expires);
	} else {
		EXPECT(tok.access_token == NULL, "a token on failure");
		if (c->reason)
			EXPECT_CONTAINS(reason, c->reason);
		EXPECT(!c->absent || !strstr(reason, c->absent), "reason \"%s\" holds \"%s\"",
		       reason, c->absent);
		EXPECT(strlen(reason) < 700, "reason of %zu bytes", strlen(reason));
	}
	cloudauth_token_free(&tok);
	EXPECT(tok.access_token == NULL && tok.len == 0, "token not cleared");
}

static void parse_cases_run(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		if (!unit_begin("cloudauth: answer %s", parse_cases[i].name))
			continue;
		unit_isolated(parse_body, &parse_cases[i]);
		unit_end();
	}
}

/* ---------- cloudauth_load and cloudauth_build_request ---------- */

struct load_case {
	const char *name;
	enum auth_mode mode;
	const char *env; /* unit_env_set syntax; TOKENFILE in it becomes a real file */
	const char *url;
	int want;
	enum cloudauth_flow flow;
	const char *request_url; /* exact */
	const char *msg;         /* on error: the message contains */
};

/* clang-format off */
static const struct load_case load_cases[] = {
	{"azure_imds_default", AUTH_AZURE, NULL, "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_IMDS,
	 "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	 "https%3A%2F%2Fossrdbms-aad.database.windows.net", NULL},
	{"azure_imds_user_assigned", AUTH_AZURE,
	 "AZURE_CLIENT_ID=00000000-0000-0000-0000-00000000000a", "postgres://app@db/app", EXIT_DONE,
	 FLOW_AZURE_IMDS,
	 "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	 "https%3A%2F%2Fossrdbms-aad.database.windows.net&client_id=00000000-0000-0000-0000-00000000000a",
	 NULL},
	{"azure_imds_endpoint", AUTH_AZURE, "DBREADY_AZURE_IMDS_ENDPOINT=http://127.0.0.1:8080/",
	 "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_IMDS,
	 "http://127.0.0.1:8080/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	 "https%3A%2F%2Fossrdbms-aad.database.windows.net", NULL},
	{"azure_resource_sovereign", AUTH_AZURE,
	 "DBREADY_AZURE_RESOURCE=https://ossrdbms-aad.database.usgovcloudapi.net/.default",
	 "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_IMDS,
	 "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
	 "https%3A%2F%2Fossrdbms-aad.database.usgovcloudapi.net", NULL},
	{"azure_workload", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=cid-1 AZURE_TENANT_ID=tenant-1",
	 "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_WORKLOAD,
	 "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token", NULL},
	{"azure_workload_authority", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=cid-1 AZURE_TENANT_ID=tenant-1 "
	 "AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn/",
	 "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_WORKLOAD,
	 "https://login.chinacloudapi.cn/tenant-1/oauth2/v2.0/token", NULL},
	{"azure_workload_loopback_http", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=cid-1 AZURE_TENANT_ID=tenant-1 "
	 "AZURE_AUTHORITY_HOST=http://127.0.0.1:9999",
	 "postgres://app@db/app", EXIT_DONE, FLOW_AZURE_WORKLOAD,
	 "http://127.0.0.1:9999/tenant-1/oauth2/v2.0/token", NULL},
	{"gcp_default", AUTH_GCP, NULL, "postgres://sa%40proj.iam@10.0.0.3/app?sslmode=require",
	 EXIT_DONE, FLOW_GCP_METADATA,
	 "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token",
	 NULL},
	{"gcp_host", AUTH_GCP, "GCE_METADATA_HOST=127.0.0.1:8081", "postgres://sa@db/app", EXIT_DONE,
	 FLOW_GCP_METADATA,
	 "http://127.0.0.1:8081/computeMetadata/v1/instance/service-accounts/default/token", NULL},
	/* configuration errors: exit 3 */
	{"password_in_url", AUTH_AZURE, NULL, "postgres://app:pw-Xq7z@db/app", EXIT_CONFIG, 0, NULL,
	 "has a password, but --auth=azure uses an access token"},
	{"password_keyword", AUTH_GCP, NULL, "host=db user=app password=pw-Xq7z", EXIT_CONFIG, 0, NULL,
	 "has a password, but --auth=gcp"},
	{"pgpassword", AUTH_GCP, "PGPASSWORD=pw-Xq7z", "postgres://app@db/app", EXIT_CONFIG, 0, NULL,
	 "PGPASSWORD has a password"},
	{"workload_no_tenant", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=cid-1", "postgres://app@db/app",
	 EXIT_CONFIG, 0, NULL, "workload identity also needs the client and tenant IDs"},
	{"workload_no_file", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=/nonexistent/token AZURE_CLIENT_ID=c AZURE_TENANT_ID=t",
	 "postgres://app@db/app", EXIT_CONFIG, 0, NULL,
	 "could not read AZURE_FEDERATED_TOKEN_FILE \"/nonexistent/token\""},
	{"workload_http_authority", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=c AZURE_TENANT_ID=t "
	 "AZURE_AUTHORITY_HOST=http://login.example.com/",
	 "postgres://app@db/app", EXIT_CONFIG, 0, NULL,
	 "invalid value \"http://login.example.com/\" for AZURE_AUTHORITY_HOST"},
	{"workload_bad_tenant", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=c AZURE_TENANT_ID=a/../b",
	 "postgres://app@db/app", EXIT_CONFIG, 0, NULL, "for AZURE_TENANT_ID"},
	{"imds_endpoint_with_path", AUTH_AZURE,
	 "DBREADY_AZURE_IMDS_ENDPOINT=http://127.0.0.1:1/x?y=1", "postgres://app@db/app",
	 EXIT_CONFIG, 0, NULL, "for DBREADY_AZURE_IMDS_ENDPOINT"},
	{"imds_endpoint_no_scheme", AUTH_AZURE, "DBREADY_AZURE_IMDS_ENDPOINT=169.254.169.254",
	 "postgres://app@db/app", EXIT_CONFIG, 0, NULL, "for DBREADY_AZURE_IMDS_ENDPOINT"},
	{"resource_http", AUTH_AZURE, "DBREADY_AZURE_RESOURCE=http://x", "postgres://app@db/app",
	 EXIT_CONFIG, 0, NULL, "for DBREADY_AZURE_RESOURCE"},
	{"gce_host_with_scheme", AUTH_GCP, "GCE_METADATA_HOST=http://127.0.0.1:8081",
	 "postgres://sa@db/app", EXIT_CONFIG, 0, NULL,
	 "invalid value \"http://127.0.0.1:8081\" for GCE_METADATA_HOST"},
	/* a rejected endpoint is quoted without its userinfo */
	{"imds_endpoint_userinfo", AUTH_AZURE,
	 "DBREADY_AZURE_IMDS_ENDPOINT=http://u:pw-Xq7z@127.0.0.1:8080", "postgres://app@db/app",
	 EXIT_CONFIG, 0, NULL, "\"http://***@127.0.0.1:8080\" for DBREADY_AZURE_IMDS_ENDPOINT"},
	{"imds_endpoint_two_ats", AUTH_AZURE,
	 "DBREADY_AZURE_IMDS_ENDPOINT=http://u:pw-Xq7z@x@127.0.0.1:8080?pw-Xq7z", "postgres://app@db/app",
	 EXIT_CONFIG, 0, NULL, "for DBREADY_AZURE_IMDS_ENDPOINT"},
	{"authority_userinfo", AUTH_AZURE,
	 "AZURE_FEDERATED_TOKEN_FILE=TOKENFILE AZURE_CLIENT_ID=c AZURE_TENANT_ID=t "
	 "AZURE_AUTHORITY_HOST=https://pw-Xq7z@login.example.com/",
	 "postgres://app@db/app", EXIT_CONFIG, 0, NULL,
	 "\"https://***@login.example.com/\" for AZURE_AUTHORITY_HOST"},
	{"gce_host_userinfo", AUTH_GCP, "GCE_METADATA_HOST=u:pw-Xq7z@127.0.0.1:8081",
	 "postgres://sa@db/app", EXIT_CONFIG, 0, NULL,
	 "invalid value \"***@127.0.0.1:8081\" for GCE_METADATA_HOST"},
	{"client_id_bad", AUTH_AZURE, "AZURE_CLIENT_ID=a&b=c", "postgres://app@db/app", EXIT_CONFIG,
	 0, NULL, "for AZURE_CLIENT_ID"},
};
/* clang-format on */

#define ASSERTION "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXBwOmRiIn0.s-_g"

static void load_body(const void *arg)
{
	const struct load_case *c = arg;
	char path[] = "/tmp/dbready-unit-token.XXXXXX";
	int fd = mkstemp(path);
	EXPECT(fd >= 0, "mkstemp");
	if (fd < 0)
		return;
	/* a projected token file ends without a newline; one written by hand may have one */
	ssize_t w = write(fd, ASSERTION "\n", strlen(ASSERTION) + 1);
	(void)w;
	close(fd);
	char env[1024] = "";
	if (c->env) {
		const char *t = strstr(c->env, "TOKENFILE");
		if (t)
			snprintf(env, sizeof env, "%.*s%s%s", (int)(t - c->env), c->env, path,
			         t + strlen("TOKENFILE"));
		else
			snprintf(env, sizeof env, "%s", c->env);
		unit_env_set(env);
	}
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.auth = c->mode;
	cfg.url = c->url;
	cfg.url_origin = "DATABASE_URL";
	struct dburl u;
	int rc = dburl_load(&cfg, &u);
	EXPECT_INT(rc, EXIT_DONE);
	struct cloudauth ca;
	struct err e;
	rc = cloudauth_load(&cfg, &u, &ca, &e);
	EXPECT_INT(rc, c->want);
	if (rc == EXIT_DONE && c->want == EXIT_DONE) {
		EXPECT_INT(ca.flow, c->flow);
		EXPECT_STR(ca.url, c->request_url);
		EXPECT(!strchr(ca.shown, '?'), "shown URL \"%s\" has a query", ca.shown);
		struct cloudauth_request req;
		EXPECT(cloudauth_build_request(&ca, ASSERTION, &req), "build failed");
		EXPECT_STR(req.url, c->request_url);
		char headers[512] = "";
		for (int i = 0; req.headers[i]; i++)
			snprintf(headers + strlen(headers), sizeof headers - strlen(headers),
			         "%s|", req.headers[i]);
		if (c->flow == FLOW_AZURE_IMDS) {
			EXPECT_STR(req.method, "GET");
			EXPECT_STR(headers, "Metadata: true|Accept: application/json|");
			EXPECT(req.body == NULL, "a GET with a body");
		} else if (c->flow == FLOW_GCP_METADATA) {
			EXPECT_STR(req.method, "GET");
			EXPECT_STR(headers, "Metadata-Flavor: Google|Accept: application/json|");
			EXPECT(req.body == NULL, "a GET with a body");
		} else {
			EXPECT_STR(req.method, "POST");
			EXPECT_STR(headers,
			           "Content-Type: application/x-www-form-urlencoded|Expect:|"
			           "Accept: application/json|");
			EXPECT_STR(
			        req.body,
			        "grant_type=client_credentials&client_id=cid-1&scope=https%3A%2F%"
			        "2F"
			        "ossrdbms-aad.database.windows.net%2F.default&client_assertion_"
			        "type="
			        "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
			        "&client_assertion=" ASSERTION);
			EXPECT_INT(req.body_len, strlen(req.body ? req.body : ""));
			EXPECT_STR(ca.token_file, path);
		}
		cloudauth_request_free(&req);
		EXPECT(req.body == NULL, "body not released");
	} else if (rc != EXIT_DONE) {
		EXPECT_CONTAINS(e.msg, c->msg);
		EXPECT(e.hint[0] != '\0', "no HINT");
		EXPECT(!strstr(e.msg, "pw-Xq7z") && !strstr(e.detail, "pw-Xq7z") &&
		               !strstr(e.hint, "pw-Xq7z"),
		       "the password is quoted");
	}
	dburl_free(&u);
	unlink(path);
}

static void load_cases_run(void)
{
	for (size_t i = 0; i < sizeof load_cases / sizeof load_cases[0]; i++) {
		if (!unit_begin("cloudauth: configuration %s", load_cases[i].name))
			continue;
		unit_isolated(load_body, &load_cases[i]);
		unit_end();
	}
}

/* A URL without a password is no secret: the redacted target must stay readable. */
static void target_readable(void)
{
	if (!unit_begin("cloudauth: a URL without a password is not masked in messages"))
		return;
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.auth = AUTH_AZURE;
	cfg.url = "postgres://app@db.example.com:5432/app";
	cfg.url_origin = "DATABASE_URL";
	struct dburl u;
	EXPECT_INT(dburl_load(&cfg, &u), EXIT_DONE);
	char buf[sizeof u.redacted];
	snprintf(buf, sizeof buf, "%s", u.redacted);
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "postgres://app@db.example.com:5432/app");
	dburl_free(&u);
	/* and one with a password still is, whole */
	cfg.auth = AUTH_PASSWORD;
	cfg.url = "postgres://app:pw-123@db.example.com:5432/app";
	EXPECT_INT(dburl_load(&cfg, &u), EXIT_DONE);
	snprintf(buf, sizeof buf, "x %s x", cfg.url);
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "x *** x");
	dburl_free(&u);
	unit_end();
}

/* ---------- the log's transient secrets ---------- */

static void transient_secrets(void)
{
	if (!unit_begin("cloudauth: transient secrets are scrubbed, replaced and forgotten"))
		return;
	char buf[256];
	log_set_transient_secret(0, "tok-AAAA");
	log_set_transient_secret(1, "assert-BBBB");
	snprintf(buf, sizeof buf, "a tok-AAAA b assert-BBBB c tok-AAAA");
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "a *** b *** c ***");
	/* a new token replaces the old one in its slot */
	log_set_transient_secret(0, "tok-CCCC");
	snprintf(buf, sizeof buf, "tok-AAAA tok-CCCC");
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "tok-AAAA ***");
	/* many tokens never fill the fixed list: a password registered after them still counts */
	char t[32];
	for (int i = 0; i < 100; i++) {
		snprintf(t, sizeof t, "token-%03d", i);
		log_set_transient_secret(0, t);
	}
	log_add_secret("password-after");
	snprintf(buf, sizeof buf, "password-after token-099 token-098");
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "*** *** token-098");
	log_set_transient_secret(0, NULL);
	log_set_transient_secret(5, "out-of-range"); /* ignored */
	snprintf(buf, sizeof buf, "token-099 out-of-range assert-BBBB");
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "token-099 out-of-range ***");
	log_forget_secrets();
	snprintf(buf, sizeof buf, "assert-BBBB");
	log_scrub(buf, sizeof buf);
	EXPECT_STR(buf, "assert-BBBB");
	unit_end();
}

/* ---------- --auth ---------- */

struct auth_case {
	const char *env;
	const char *args;
	int want;
	enum auth_mode mode;
};

static void auth_option(void)
{
	static const struct auth_case cases[] = {
	        {NULL, "wait", EXIT_DONE, AUTH_PASSWORD},
	        {NULL, "wait --auth=azure", EXIT_DONE, AUTH_AZURE},
	        {NULL, "wait --auth gcp", EXIT_DONE, AUTH_GCP},
	        {"DBREADY_AUTH=gcp", "wait", EXIT_DONE, AUTH_GCP},
	        {"DBREADY_AUTH=gcp", "wait --auth=password", EXIT_DONE, AUTH_PASSWORD},
	        {NULL, "wait --auth=aws", EXIT_USAGE, AUTH_PASSWORD},
	        {"DBREADY_AUTH=Azure", "wait", EXIT_USAGE, AUTH_PASSWORD},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct auth_case *c = &cases[i];
		if (!unit_begin("cloudauth: option %s%s%s", c->env ? c->env : "",
		                c->env ? " " : "", c->args))
			continue;
		unit_env_set(c->env);
		char buf[256], *argv[16], err[1024] = "";
		int argc = unit_split_args(c->args, buf, sizeof buf, argv, 16);
		struct config cfg;
		int rc = cli_parse(argc, argv, &cfg, err, sizeof err);
		EXPECT_INT(rc, c->want);
		if (rc == EXIT_DONE)
			EXPECT_INT(cfg.auth, c->mode);
		else
			EXPECT_CONTAINS(err, "AWS RDS IAM is not supported yet");
		unit_end();
	}
}

void suite_cloudauth(void)
{
	encode_cases();
	mask_cases();
	parse_cases_run();
	load_cases_run();
	target_readable();
	transient_secrets();
	auth_option();
}
