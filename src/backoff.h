/* backoff.h - full-jitter exponential backoff (behaviour.md §2), pure and testable.
 *
 * The n-th retry (n = 0, 1, ...) sleeps uniform(0, min(cap, base * 2^n)), and never past
 * the deadline. The generator is seeded from the kernel so that 50 replicas started at
 * the same moment spread out instead of retrying in lock step.
 */
#ifndef DBREADY_BACKOFF_H
#define DBREADY_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t base_ms;
	int64_t cap_ms;
	int retry; /* retries so far */
	uint64_t state;
};

/* seed 0 = take a seed from getrandom() */
void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed);

/* The upper bound of the n-th retry's sleep: min(cap, base * 2^n), without overflow. */
int64_t backoff_bound(int64_t base_ms, int64_t cap_ms, int retry);

/* The next sleep in ms; remaining_ms < 0 means no deadline, otherwise the result is at
 * most remaining_ms. */
int64_t backoff_next(struct backoff *b, int64_t remaining_ms);

#endif
