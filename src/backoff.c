/* backoff.c - full-jitter exponential backoff. */
#define _GNU_SOURCE
#include "backoff.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed)
{
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->retry = 0;
	if (seed == 0 && getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
	}
	b->state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

int64_t backoff_bound(int64_t base_ms, int64_t cap_ms, int retry)
{
	int64_t bound = base_ms;
	for (int i = 0; i < retry && bound < cap_ms; i++) {
		if (bound > cap_ms / 2)
			return cap_ms; /* doubling would pass the cap (or overflow) */
		bound *= 2;
	}
	return bound < cap_ms ? bound : cap_ms;
}

/* xorshift64*: plenty for spreading retries, and no state shared with anyone */
static uint64_t next_random(struct backoff *b)
{
	uint64_t x = b->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	b->state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int64_t backoff_next(struct backoff *b, int64_t remaining_ms)
{
	int64_t bound = backoff_bound(b->base_ms, b->cap_ms, b->retry);
	if (b->retry < 62)
		b->retry++;
	uint64_t span = (uint64_t)bound + 1; /* bound <= INT64_MAX: no overflow in uint64 */
	int64_t sleep = (int64_t)(next_random(b) % span);
	if (remaining_ms >= 0 && sleep > remaining_ms)
		sleep = remaining_ms;
	return sleep;
}
