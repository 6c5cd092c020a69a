/* secretfile.c - read a small secret from a file (see secretfile.h). */
#define _POSIX_C_SOURCE 200809L
#include "secretfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int secretfile_read(const char *path, size_t max, char **out, char *detail, size_t detail_cap)
{
	*out = NULL;
	/* O_NONBLOCK: open() on a FIFO without a writer would block forever (and SA_RESTART
	 * restarts it after SIGTERM); fstat then admits regular files only. No O_NOFOLLOW:
	 * Kubernetes secret volumes are symlinks. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		int saved = errno;
		if (fd >= 0 && S_ISREG(st.st_mode))
			snprintf(detail, detail_cap, "It is larger than %zu bytes.", max);
		else if (fd >= 0)
			snprintf(detail, detail_cap, "It is %s, not a regular file.",
			         log_file_type_name(st.st_mode));
		else
			snprintf(detail, detail_cap, "%s.", strerror(saved));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	char *text = calloc(1, (size_t)st.st_size + 1);
	ssize_t got = text ? read(fd, text, (size_t)st.st_size) : -1;
	int saved = text ? errno : ENOMEM;
	close(fd);
	if (got < 0) {
		free(text);
		snprintf(detail, detail_cap, "%s.", strerror(saved));
		errno = saved;
		return -1;
	}
	text[got] = '\0';
	while (got > 0 && (text[got - 1] == '\n' || text[got - 1] == '\r'))
		text[--got] = '\0';
	*out = text;
	return 0;
}

const char *secretfile_hint(const char *detail)
{
	if (strstr(detail, "not a regular file"))
		return "Point it at a regular file that holds the value, such as a key of a "
		       "Kubernetes Secret mounted as a volume; a pipe or a device is not read.";
	return "Check the path and that the Secret is mounted there (and readable by this user).";
}
