/* format_golang_migrate.c - golang-migrate's folders and history table (formats.md). Being
 * written: until it is,
 * --format=golang-migrate refuses every folder and auto never picks it. */
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
	               "the golang-migrate format is not read yet");
}

const struct format format_golang_migrate = {
        .name = "golang-migrate",
        .detect = detect,
        .load = load,
};
