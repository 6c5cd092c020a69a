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

int secretfile_read(const char *path, size_t max, char **out, char *detail, size_t detail_cap)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		int saved = errno;
		if (fd >= 0 && S_ISDIR(st.st_mode))
			snprintf(detail, detail_cap, "It is a directory.");
		else if (fd >= 0 && S_ISREG(st.st_mode))
			snprintf(detail, detail_cap, "It is larger than %zu bytes.", max);
		else if (fd >= 0)
			snprintf(detail, detail_cap, "It is not a regular file.");
		else
			snprintf(detail, detail_cap, "%s.", strerror(saved));
		if (fd >= 0)
			close(fd);
		return -1;
	}
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
