/* test_backoff.c - full-jitter backoff: bounds, deadline, spread and seeding (behaviour.md §2). */
#include <stdint.h>
#include <string.h>

#include "backoff.h"
#include "unit.h"

#define DRAWS 100000

/* min(cap, base * 2^retry), computed without overflow, independently of backoff.c */
static int64_t ref_bound(int64_t base, int64_t cap, int retry)
{
	int64_t b = base;
	for (int i = 0; i < retry; i++) {
		if (b >= cap || b > INT64_MAX / 2)
			return cap;
		b *= 2;
	}
	return b < cap ? b : cap;
}

/* ---------- backoff_bound ---------- */

struct bound_case {
	int64_t base, cap;
	int retry;
	int64_t want;
};

/* clang-format off */
static const struct bound_case bound_cases[] = {
	{100, 500, 0, 100},
	{100, 500, 1, 200},
	{100, 500, 2, 400},
	{100, 500, 3, 500},
	{100, 500, 10, 500},
	{100, 500, 60, 500},
	{100, 500, 62, 500},
	{1, 1, 0, 1},
	{1, 1, 60, 1},
	{50, 10000, 7, 6400},
	{50, 10000, 8, 10000},
	{1, 3600000, 21, 2097152},
	{1, 3600000, 22, 3600000},
	{1, 3600000, 60, 3600000},
	{31622400000, 31622400000, 60, 31622400000}, /* a year, the largest --backoff-cap */
	{1, INT64_MAX, 62, INT64_C(4611686018427387904)},
	{1, INT64_MAX, 63, INT64_MAX},
	{1000, INT64_MAX, 60, INT64_MAX},
	{3, INT64_MAX / 2, 61, INT64_MAX / 2},
};
/* clang-format on */

static void bound_body(const void *arg)
{
	const struct bound_case *c = arg;
	EXPECT_INT(backoff_bound(c->base, c->cap, c->retry), c->want);
	EXPECT_INT(ref_bound(c->base, c->cap, c->retry), c->want); /* the table itself */
}

/* ---------- backoff_next ---------- */

struct draw_case {
	const char *name;
	int64_t base, cap;
};

/* clang-format off */
static const struct draw_case draw_cases[] = {
	{"default_100ms_500ms", 100, 500},
	{"one_ms", 1, 1},
	{"base_equals_cap", 1000, 1000},
	{"50ms_10s", 50, 10000},
	{"1ms_1h", 1, 3600000},
	{"1s_huge_cap", 1000, INT64_MAX},
};
/* clang-format on */

/* DRAWS draws, reseeded every 64 so that every retry number is seen: never negative, never
 * above the bound of its retry, never past the deadline when one is given. */
static void draw_body(const void *arg)
{
	const struct draw_case *c = arg;
	struct backoff b;
	int bad = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < DRAWS && bad < 3; i++) {
			int k = i % 64;
			if (k == 0)
				backoff_init(&b, c->base, c->cap, (uint64_t)i + 1);
			int64_t remaining = pass == 0 ? -1 : (int64_t)((i * 37) % 250);
			int64_t s = backoff_next(&b, remaining);
			int64_t bound = ref_bound(c->base, c->cap, k);
			if (s < 0 || s > bound || (remaining >= 0 && s > remaining)) {
				unit_fail(__FILE__, __LINE__,
				          "draw %d (retry %d, remaining %lld) = %lld, bound %lld",
				          i, k, (long long)remaining, (long long)s,
				          (long long)bound);
				bad++;
			}
		}
	}
	/* a deadline of 0 means no sleep at all */
	backoff_init(&b, c->base, c->cap, 42);
	for (int i = 0; i < 100; i++)
		EXPECT_INT(backoff_next(&b, 0), 0);
}

/* Full jitter: at the cap the draws are uniform over [0, cap], so their mean is cap/2 and
 * they reach both ends. */
struct spread_case {
	int64_t base, cap;
};

static const struct spread_case spread_cases[] = {
        {100, 500}, {1000, 1000}, {50, 10000}, {1, 60000}};

static void test_spread(void)
{
	for (size_t n = 0; n < sizeof spread_cases / sizeof spread_cases[0]; n++) {
		const struct spread_case *c = &spread_cases[n];
		if (!unit_begin("backoff/mean_at_cap %lld/%lld", (long long)c->base,
		                (long long)c->cap))
			continue;
		struct backoff b;
		backoff_init(&b, c->base, c->cap, 0x5eed + n);
		for (int i = 0; i < 64; i++) /* reach the cap */
			backoff_next(&b, -1);
		double sum = 0;
		int64_t lo = INT64_MAX, hi = -1;
		for (int i = 0; i < DRAWS; i++) {
			int64_t s = backoff_next(&b, -1);
			sum += (double)s;
			lo = s < lo ? s : lo;
			hi = s > hi ? s : hi;
		}
		double mean = sum / DRAWS, half = (double)c->cap / 2;
		EXPECT(mean >= half * 0.9 && mean <= half * 1.1, "mean %.1f, want %.1f +- 10%%",
		       mean, half);
		EXPECT(lo <= c->cap / 20, "smallest draw %lld, want <= %lld", (long long)lo,
		       (long long)(c->cap / 20));
		EXPECT(hi >= c->cap - c->cap / 20, "largest draw %lld, want >= %lld",
		       (long long)hi, (long long)(c->cap - c->cap / 20));
		unit_end();
	}
}

/* 1000 replicas starting together (seed 0 = getrandom) spread their first retry over
 * [0, base]: mean base/2, and not all equal. */
static void test_first_retry_spread(void)
{
	if (!unit_begin("backoff/first_retry_spread_seed0"))
		return;
	double sum = 0;
	int64_t first = -1;
	bool all_same = true;
	for (int i = 0; i < 1000; i++) {
		struct backoff b;
		backoff_init(&b, 100, 500, 0);
		int64_t s = backoff_next(&b, -1);
		EXPECT(s >= 0 && s <= 100, "first sleep %lld outside [0, 100]", (long long)s);
		sum += (double)s;
		if (first < 0)
			first = s;
		else if (s != first)
			all_same = false;
	}
	EXPECT(!all_same, "every replica drew %lld", (long long)first);
	EXPECT(sum / 1000 >= 40 && sum / 1000 <= 60, "mean first sleep %.1f, want 50 +- 10",
	       sum / 1000);
	unit_end();
}

/* ---------- seeding and state ---------- */

static void draw_seq(uint64_t seed, int64_t *out, int n)
{
	struct backoff b;
	backoff_init(&b, 100, 500, seed);
	for (int i = 0; i < n; i++)
		out[i] = backoff_next(&b, -1);
}

struct seed_case {
	uint64_t a, b;
	bool same; /* equal seeds give equal sequences; different ones differ */
};

/* clang-format off */
static const struct seed_case seed_cases[] = {
	{1, 2, false},
	{12345, 12346, false},
	{UINT64_MAX, 1, false},
	{7, 7, true},
	{0x9e3779b97f4a7c15ULL, 0x9e3779b97f4a7c15ULL, true},
};
/* clang-format on */

static void test_seeds(void)
{
	for (size_t n = 0; n < sizeof seed_cases / sizeof seed_cases[0]; n++) {
		const struct seed_case *c = &seed_cases[n];
		if (!unit_begin("backoff/seeds %llu vs %llu", (unsigned long long)c->a,
		                (unsigned long long)c->b))
			continue;
		int64_t x[32], y[32];
		draw_seq(c->a, x, 32);
		draw_seq(c->b, y, 32);
		int differ = 0;
		for (int i = 0; i < 32; i++)
			differ += x[i] != y[i];
		if (c->same)
			EXPECT_INT(differ, 0);
		else
			EXPECT(differ >= 16, "only %d of 32 draws differ", differ);
		unit_end();
	}
}

static void test_seed_zero(void)
{
	if (!unit_begin("backoff/seed0_random"))
		return;
	struct backoff a, b;
	backoff_init(&a, 100, 500, 0);
	backoff_init(&b, 100, 500, 0);
	EXPECT(a.state != 0, "state 0 (xorshift would stay 0)");
	EXPECT(a.state != b.state, "two seed-0 generators share state %llu",
	       (unsigned long long)a.state);
	for (int i = 0; i < 1000; i++) {
		int64_t s = backoff_next(&a, -1);
		EXPECT(s >= 0 && s <= ref_bound(100, 500, i), "draw %d = %lld", i, (long long)s);
	}
	unit_end();
}

static void test_state(void)
{
	if (!unit_begin("backoff/init_and_retry_count"))
		return;
	struct backoff b;
	memset(&b, 0xff, sizeof b);
	backoff_init(&b, 250, 4000, 99);
	EXPECT_INT(b.base_ms, 250);
	EXPECT_INT(b.cap_ms, 4000);
	EXPECT_INT(b.retry, 0);
	for (int i = 0; i < 3; i++)
		backoff_next(&b, -1);
	EXPECT_INT(b.retry, 3);
	backoff_init(&b, 250, 4000, 99);
	EXPECT_INT(b.retry, 0);
	unit_end();
}

void suite_backoff(void)
{
	for (size_t i = 0; i < sizeof bound_cases / sizeof bound_cases[0]; i++) {
		const struct bound_case *c = &bound_cases[i];
		if (!unit_begin("backoff/bound %lld/%lld retry %d", (long long)c->base,
		                (long long)c->cap, c->retry))
			continue;
		unit_isolated(bound_body, c); /* overflow must not crash the runner */
		unit_end();
	}
	for (size_t i = 0; i < sizeof draw_cases / sizeof draw_cases[0]; i++) {
		if (!unit_begin("backoff/draws %s", draw_cases[i].name))
			continue;
		unit_isolated(draw_body, &draw_cases[i]);
		unit_end();
	}
	test_spread();
	test_first_retry_spread();
	test_seeds();
	test_seed_zero();
	test_state();
}
