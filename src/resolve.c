/* resolve.c - getaddrinfo on a detachable thread, waited for with poll(). */
#define _GNU_SOURCE
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "signals.h"

/* Shared by the caller and the thread; the last of the two to let go frees it, so an
 * abandoned lookup (timeout, signal) never touches freed memory. */
struct lookup {
	pthread_mutex_t mu;
	int refs;
	int wfd;
	int n;
	char *names[DBURL_MAX_HOSTS];
	char *ports[DBURL_MAX_HOSTS];
	int gai[DBURL_MAX_HOSTS];
};

static void lookup_release(struct lookup *l)
{
	pthread_mutex_lock(&l->mu);
	int left = --l->refs;
	pthread_mutex_unlock(&l->mu);
	if (left)
		return;
	for (int i = 0; i < l->n; i++) {
		free(l->names[i]);
		free(l->ports[i]);
	}
	if (l->wfd >= 0)
		close(l->wfd);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static void *lookup_thread(void *arg)
{
	struct lookup *l = arg;
	for (int i = 0; i < l->n; i++) {
		struct addrinfo hints, *res = NULL;
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC; /* as libpq asks */
		hints.ai_socktype = SOCK_STREAM;
		int g = getaddrinfo(l->names[i], l->ports[i], &hints, &res);
		if (res)
			freeaddrinfo(res);
		pthread_mutex_lock(&l->mu);
		l->gai[i] = g;
		pthread_mutex_unlock(&l->mu);
		if (g == 0)
			break; /* one reachable name is enough for libpq to try */
	}
	unsigned char done = 1;
	ssize_t ignored = write(l->wfd, &done, 1);
	(void)ignored;
	lookup_release(l);
	return NULL;
}

/* msg from a format, built whole and cut visibly to cap (log_vformat_scrubbed): the caller's
 * buffer is its own size, and a host name is quoted. */
static void msgf(char *msg, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void msgf(char *msg, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(msg, cap, fmt, ap);
	va_end(ap);
}

enum resolve_result resolve_hosts(const struct dburl *u, int64_t timeout_ms, char *msg, size_t cap)
{
	struct lookup *l = calloc(1, sizeof *l);
	if (!l)
		return RESOLVE_OK; /* let libpq try; it will report what goes wrong */
	pthread_mutex_init(&l->mu, NULL);
	l->wfd = -1;
	/* at most u->nhosts <= DBURL_MAX_HOSTS names: the arrays hold them all */
	_Static_assert(sizeof l->names / sizeof l->names[0] ==
	                       sizeof u->hosts / sizeof u->hosts[0],
	               "one slot per host of the URL");
	bool oom = false;
	for (int i = 0; i < u->nhosts; i++) {
		const struct dbhost *h = &u->hosts[i];
		if (h->is_socket || h->has_hostaddr)
			continue;
		l->names[l->n] = strdup(h->name);
		l->ports[l->n] = strdup(h->port);
		l->gai[l->n] = -1;
		oom = oom || !l->names[l->n] || !l->ports[l->n];
		l->n++;
	}
	if (l->n == 0 || u->nhosts > l->n || oom) {
		/* nothing to look up, or a socket/hostaddr entry libpq can use anyway (or out of
		 * memory: let libpq try, it reports what goes wrong) */
		l->refs = 1;
		lookup_release(l);
		return RESOLVE_OK;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		l->refs = 1;
		lookup_release(l);
		return RESOLVE_OK;
	}
	l->wfd = fds[1];
	l->refs = 2;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, lookup_thread, l) != 0) {
		pthread_attr_destroy(&attr);
		close(fds[0]);
		l->refs = 1;
		lookup_release(l);
		return RESOLVE_OK;
	}
	pthread_attr_destroy(&attr);

	enum resolve_result rr = RESOLVE_TIMEOUT;
	int64_t end = clock_ms() + timeout_ms;
	for (;;) {
		int64_t left = end - clock_ms();
		if (left <= 0)
			break;
		struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN},
		                      {.fd = signals_fd(), .events = POLLIN}};
		int r = poll(p, 2, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno != EINTR)
			break;
		if (signals_caught()) {
			rr = RESOLVE_SIGNALED;
			break;
		}
		if (r > 0 && p[0].revents) {
			rr = RESOLVE_FAILED;
			pthread_mutex_lock(&l->mu);
			for (int i = 0; i < l->n; i++)
				if (l->gai[i] == 0)
					rr = RESOLVE_OK;
			int g = l->gai[0];
			pthread_mutex_unlock(&l->mu);
			if (rr == RESOLVE_FAILED) {
				/* name the first host and the resolver's own words for why */
				msgf(msg, cap, "could not resolve host name \"%s\": %s%s",
				     l->names[0],
				     g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g),
				     l->n > 1 ? " (nor the other hosts)" : "");
			}
			break;
		}
	}
	if (rr == RESOLVE_TIMEOUT)
		msgf(msg, cap, "timed out after %lld ms resolving host name \"%s\"",
		     (long long)timeout_ms, l->names[0]);
	close(fds[0]);
	lookup_release(l);
	return rr;
}
