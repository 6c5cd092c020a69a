/* format_goose_envsub.h - goose's ENVSUB: a port of github.com/mfridman/interpolate v0.0.2
 * (parser.go, interpolate.go), which goose v3.27.3 (github.com/pressly/goose, commit
 * 520411a16119bd3b332613d1ff8312c4cc249673) runs on each line after "-- +goose ENVSUB ON".
 */
#ifndef DBREADY_FORMAT_GOOSE_ENVSUB_H
#define DBREADY_FORMAT_GOOSE_ENVSUB_H

#include <stdbool.h>
#include <stddef.h>

#include "format_goose_text.h"

/* interpolate.Interpolate of one line into out, or NULL with *error (malloc'd) */
bool goose_envsub(const char *s, size_t n, const char *file, int line, bool warn, struct gbuf *out,
                  char **error);

#endif
