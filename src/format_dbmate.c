/* format_dbmate.c - dbmate's folders and history table (formats.md). Being written: until it is,
 * --format=dbmate refuses every folder and auto never picks it. */
#define _POSIX_C_SOURCE 200809L
#include "exitcode.h"
#include "format.h"

static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	(void)d;
	(void)e;
	*why = "not read yet";
	return 0;
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	(void)d;
	(void)set;
	return err_set(e, EXIT_CONFIG, "format_unsupported", NULL, NULL,
	               "the dbmate format is not read yet");
}

const struct format format_dbmate = {
        .name = "dbmate",
        .detect = detect,
        .load = load,
};
