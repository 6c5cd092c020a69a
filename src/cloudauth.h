/* cloudauth.h - cloud IAM access tokens as the database password (--auth=azure|gcp).
 *
 * cloudauth_load() resolves, offline and once, which token endpoint to ask and as whom: the
 * Azure Instance Metadata Service (a managed identity), Azure workload identity (a federated
 * Kubernetes service-account token exchanged at the Entra ID token endpoint), or Google's
 * metadata server (Cloud SQL IAM database authentication). cloudauth_fetch() then asks that
 * endpoint for a fresh token; connect.c calls it before every connection attempt and hands
 * the token to libpq as the "password" connection keyword (never inside a conninfo string),
 * then wipes it with cloudauth_token_free(). Nothing is cached between attempts.
 *
 * Secrets: the access token and the federated assertion are never put in a message, DETAIL
 * or HINT; while they live they are also registered with the log scrubber (log.h transient
 * slots), and every buffer that held them is wiped before it is freed. The token endpoint's
 * own error text is quoted only after anything shaped like a JWT is masked.
 */
#ifndef DBREADY_CLOUDAUTH_H
#define DBREADY_CLOUDAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct dburl;
struct err;

/* The Azure Database for PostgreSQL resource (IMDS "resource"; scope = resource + "/.default") */
#define CLOUDAUTH_AZURE_RESOURCE    "https://ossrdbms-aad.database.windows.net"
#define CLOUDAUTH_AZURE_IMDS        "http://169.254.169.254"
#define CLOUDAUTH_AZURE_AUTHORITY   "https://login.microsoftonline.com/"
#define CLOUDAUTH_GCE_METADATA_HOST "metadata.google.internal"
#define CLOUDAUTH_JWT_BEARER        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* bytes kept of a token endpoint's answer; real ones are 2-5 KiB */
#define CLOUDAUTH_MAX_RESPONSE (64 * 1024)
/* bytes of a federated token file read (a projected service-account JWT is ~1 KiB) */
#define CLOUDAUTH_MAX_ASSERTION (64 * 1024)
/* Error texts: a run of this many token characters ([A-Za-z0-9._~+/=-]) is masked; a text
 * (non-JSON) error body longer than CLOUDAUTH_QUOTE_MAX bytes is not quoted at all. */
#define CLOUDAUTH_TOKEN_RUN 16
#define CLOUDAUTH_QUOTE_MAX 1024

enum cloudauth_flow {
	FLOW_AZURE_IMDS,     /* GET {imds}/metadata/identity/oauth2/token, header Metadata: true */
	FLOW_AZURE_WORKLOAD, /* POST {authority}{tenant}/oauth2/v2.0/token, client assertion */
	FLOW_GCP_METADATA,   /* GET http://{host}/computeMetadata/v1/.../token, Metadata-Flavor */
};

/* What one token request came to; connect.c turns it into an attempt's class. */
enum cloudauth_result {
	CLOUDAUTH_OK,
	CLOUDAUTH_TRANSIENT, /* no answer, 429, 5xx (IMDS: 404, 410 too): retried until the
	                      * deadline, then exit 10 */
	CLOUDAUTH_REFUSED,   /* 400/401/403 (GCP: 404 too): the identity was refused for good,
	                      * exit 5 */
	CLOUDAUTH_BAD,       /* an answer that is no token (not JSON, no access_token, another
	                      * 4xx, a redirect): the endpoint is wrong or broken, exit 10 */
};

struct cloudauth {
	enum cloudauth_flow flow;
	/* Every field is filled whole or cloudauth_load() refuses the variable (exit 3): none is
	 * ever cut. */
	char url[2048];   /* the request URL (IMDS: with its query string; no secret in it) */
	char shown[2048]; /* the URL without the query string, for messages */
	const char *name; /* "the Azure Instance Metadata Service", ... */
	const char *endpoint_var; /* the variable that moves the endpoint, for hints */
	char resource[512];       /* Azure: the resource (IMDS) / scope without "/.default" */
	char client_id[256];   /* Azure: AZURE_CLIENT_ID ("" = IMDS's system-assigned identity) */
	char tenant_id[256];   /* workload identity: AZURE_TENANT_ID */
	char token_file[1024]; /* workload identity: AZURE_FEDERATED_TOKEN_FILE, read per request
	                        */
};

/* One access token (owned; wiped by cloudauth_token_free). */
struct cloudauth_token {
	char *access_token;
	size_t len;
	int64_t expires_in_s; /* from expires_in (number or string), -1 when absent */
};

/* One request as it goes to http_perform (owned strings; cloudauth_request_free wipes the
 * body, which holds the federated assertion). */
struct cloudauth_request {
	const char *method;
	const char *url;
	const char *headers[6]; /* NULL-terminated */
	char *body;
	size_t body_len;
};

/* Resolve the token endpoint for cfg->auth from the environment (AZURE_CLIENT_ID,
 * AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST,
 * DBREADY_AZURE_IMDS_ENDPOINT, DBREADY_AZURE_RESOURCE, GCE_METADATA_HOST) and check that u
 * carries no password of its own. Offline. Returns EXIT_DONE or EXIT_CONFIG (e filled: what,
 * DETAIL, HINT). */
int cloudauth_load(const struct config *cfg, const struct dburl *u, struct cloudauth *ca,
                   struct err *e);

/* Fetch a fresh token, bounded by timeout_ms. On CLOUDAUTH_OK tok holds it (the caller
 * cloudauth_token_free()s it); otherwise reason holds one line that names the endpoint and
 * says why (no secret in it). */
enum cloudauth_result cloudauth_fetch(const struct cloudauth *ca, int64_t timeout_ms,
                                      struct cloudauth_token *tok, char *reason, size_t cap);
void cloudauth_token_free(struct cloudauth_token *tok);

/* The pieces of cloudauth_fetch that unit tests drive. */

/* Build the request; assertion is the federated token (workload identity only, else NULL).
 * Returns false when out of memory. */
bool cloudauth_build_request(const struct cloudauth *ca, const char *assertion,
                             struct cloudauth_request *req);
void cloudauth_request_free(struct cloudauth_request *req);

/* Classify an answer (status, body) and on CLOUDAUTH_OK copy its token to tok; otherwise
 * reason says why, quoting the endpoint's error/error_description (JWT-shaped text masked).
 * The body is not changed; the caller wipes it. */
enum cloudauth_result cloudauth_parse_response(enum cloudauth_flow flow, long status,
                                               const char *body, size_t body_len,
                                               struct cloudauth_token *tok, char *reason,
                                               size_t cap);

/* Percent-encode s for a query string or a form body (everything but A-Z a-z 0-9 - . _ ~).
 * Returns a malloc'd string or NULL (out of memory). */
char *cloudauth_form_encode(const char *s);

/* Replace in place every run that looks like a JWT (starts with "eyJ", three or more
 * base64url segments joined by dots, 20 characters or more) by "***". */
void cloudauth_mask_jwts(char *s);

/* The HINT for a failed token request (result != CLOUDAUTH_OK), or for the database refusing
 * a token (sqlstate 28P01/28000, user = the URL's user). Whole (the endpoint URL and IDs are
 * quoted as they are); valid until the next call of the same function; NULL when out of
 * memory. */
const char *cloudauth_hint(const struct cloudauth *ca, enum cloudauth_result result);
const char *cloudauth_login_hint(const struct cloudauth *ca, const char *user);

/* "password", "azure" or "gcp" */
const char *cloudauth_mode_name(enum auth_mode mode);

#endif
