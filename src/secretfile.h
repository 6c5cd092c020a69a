/* secretfile.h - read a small secret from a file (a Kubernetes or Docker secret mount):
 * DATABASE_URL_FILE, DBREADY_NOTIFY_URL_FILE. */
#ifndef DBREADY_SECRETFILE_H
#define DBREADY_SECRETFILE_H

#include <stddef.h>

/* Read the regular file at path (at most max bytes) into *out (malloc'd, NUL-terminated),
 * without its trailing line breaks (a Secret written with echo ends in one). Never blocks
 * in open(): a FIFO, socket, device or directory is refused.
 * Returns 0, or -1 with *out NULL and detail holding why, as a sentence ("It is a
 * directory, not a regular file.", "It is a FIFO (named pipe), not a regular file.", "No
 * such file or directory.", "It is larger than 65536 bytes."; < 64 bytes plus strerror);
 * errno is ENOMEM when memory ran out. */
int secretfile_read(const char *path, size_t max, char **out, char *detail, size_t detail_cap);

/* The HINT that goes with a secretfile_read() failure's detail. */
const char *secretfile_hint(const char *detail);

#endif
