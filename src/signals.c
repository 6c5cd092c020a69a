/* signals.c - SIGTERM/SIGINT handling through a self-pipe. */
#define _GNU_SOURCE
#include "signals.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int pipefd[2] = {-1, -1};
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	int saved = errno;
	if (!caught)
		caught = sig;
	unsigned char b = (unsigned char)sig;
	/* non-blocking: a full pipe already says "a signal came" */
	ssize_t ignored = write(pipefd[1], &b, 1);
	(void)ignored;
	errno = saved;
}

int signals_install(void)
{
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
		return -1;
	/* a peer closing a socket must be an error return, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int signals_fd(void)
{
	return pipefd[0];
}

int signals_caught(void)
{
	return caught;
}

const char *signals_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}

int signals_sleep(int64_t ms)
{
	int64_t end = clock_ms() + ms;
	for (;;) {
		if (caught)
			return caught;
		int64_t left = end - clock_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno != EINTR)
			return 0;
	}
}
