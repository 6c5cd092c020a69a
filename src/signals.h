/* signals.h - SIGTERM/SIGINT turned into a readable file descriptor (self-pipe).
 *
 * After signals_install(), a SIGTERM or SIGINT makes signals_fd() readable and
 * signals_caught() return the signal number; every wait in dbready polls that descriptor,
 * so a signal ends a wait at once. As PID 1 in a container these handlers are the only
 * thing that makes SIGTERM work at all.
 */
#ifndef DBREADY_SIGNALS_H
#define DBREADY_SIGNALS_H

#include <stdint.h>

/* Returns 0, or -1 with errno set. */
int signals_install(void);
int signals_fd(void);
/* The first signal caught, or 0. */
int signals_caught(void);
const char *signals_name(int sig);

/* Sleep up to ms milliseconds; returns early (with the signal number) on SIGTERM/SIGINT,
 * else 0. */
int signals_sleep(int64_t ms);

#endif
