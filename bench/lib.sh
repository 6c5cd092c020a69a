# lib.sh - what the bench scripts share (sourced after tests/lib/harness.sh and a die()).
# shellcheck shell=bash

# need_gnu_time: /usr/bin/time (GNU time, for peak RSS with -v), installed with apt-get when
# root, otherwise a clear stop
need_gnu_time() {
	[ -x /usr/bin/time ] && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "# installing GNU time (apt-get install time) for peak RSS" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null 2>&1 ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; } ||
			die "apt-get install time failed"
	else
		die "GNU time is missing: apt-get install time (as root)"
	fi
}

# need_runs: RUNS is a positive integer
need_runs() {
	case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a positive integer" ;; esac
}

median() { # numbers on stdin -> the median (lower middle for an even count)
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# npm_private NAME SRC FILE...: a private install of the pinned tool in $T/NAME (the FILEs of
# SRC copied there, then `npm ci`), as the integration tests make theirs, so that a run of the
# suite meanwhile never shares a node_modules; prints nothing, dies with the npm log
npm_private() {
	local name=$1 src=$2 f
	shift 2
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
		die "node and npm are needed (they run the tool this bench compares with)"
	mkdir -p "$T/$name"
	for f in "$@"; do cp -r "$src/$f" "$T/$name/" || die "cannot copy $src/$f"; done
	echo "# npm ci --no-audit --no-fund in a private copy of ${src#"$REPO"/}" >&2
	(cd "$T/$name" && npm ci --no-audit --no-fund) </dev/null >"$T/$name/npm-ci.log" 2>&1 ||
		{ cat "$T/$name/npm-ci.log" >&2; die "npm ci of ${src#"$REPO"/} failed (the npm registry must be reachable)"; }
}

# bench_table REF: the side-by-side table of $T/TOOL.CASE.timed ("ms rss_kb" lines) for every
# tool of TOOLS and case of CASES (the script's label and case_label name them), the last
# column relative to tool REF's median; also writes $T/plot.tsv for bench_plot
bench_table() {
	local ref=$1 c tool f ms rss runs base
	printf '%-22s %-26s %10s  %-32s %8s  %s\n' "case" "tool" "ms median" "runs (ms)" "RSS MiB" "vs $(label "$ref")"
	: >"$T/plot.tsv"
	for c in "${CASES[@]}"; do
		base=$(cut -d' ' -f1 "$T/$ref.$c.timed" 2>/dev/null | median)
		for tool in "${TOOLS[@]}"; do
			f=$T/$tool.$c.timed
			if [ ! -s "$f" ]; then
				printf '%-22s %-26s %10s\n' "$(case_label "$c")" "$(label "$tool")" "failed"
				continue
			fi
			ms=$(cut -d' ' -f1 "$f" | median)
			rss=$(cut -d' ' -f2 "$f" | median)
			runs=$(cut -d' ' -f1 "$f" | paste -sd' ' -)
			printf '%-22s %-26s %10s  %-32s %8s  %s\n' "$(case_label "$c")" "$(label "$tool")" "$ms" \
				"$runs" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
				"$(awk -v a="$ms" -v b="$base" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')"
			printf '%s\t%s\t%s\t%s\n' "$(case_label "$c")" "$(label "$tool")" "$ms" "$rss" >>"$T/plot.tsv"
		done
	done
}

# bench_plot TSV SVG TITLE SUBTITLE FOOTER: one panel per case (TSV: case, tool, ms, rss_kb),
# bars = median wall time (each case to its own scale), peak RSS written beside; the tools'
# colours by order of appearance (dbready's two first, blues; the other tool's, oranges)
bench_plot() {
	python3 - "$@" <<'PY'
import sys
from xml.sax.saxutils import escape
tsv, out, title, subtitle, footer = sys.argv[1:6]
rows = [l.rstrip("\n").split("\t") for l in open(tsv) if l.strip()]
cases, tools = [], []
for c, t, *_ in rows:
    if c not in cases:
        cases.append(c)
    if t not in tools:
        tools.append(t)
palette = ["#2b6cb0", "#63b3ed", "#dd6b20", "#9c4221", "#ed8936"]
colors = {t: palette[i % len(palette)] for i, t in enumerate(tools)}
W, bar_h, gap, left, right = 760, 22, 6, 190, 150
y = 58
body = []
for c in cases:
    rs = [r for r in rows if r[0] == c]
    mx = max(float(r[2]) for r in rs) or 1
    body.append(f'<text x="12" y="{y}" font-weight="bold">{escape(c)}</text>')
    y += 10
    for _, tool, ms, rss in rs:
        w = (W - left - right) * float(ms) / mx
        body.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(tool)}</text>')
        body.append(f'<rect x="{left}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" fill="{colors[tool]}"/>')
        body.append(f'<text x="{left + max(w, 1) + 6:.1f}" y="{y + 16}">{int(float(ms)):,} ms · {float(rss) / 1024:.1f} MiB</text>')
        y += bar_h + gap
    y += 22
H = y + 24
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="13">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="12" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
       f'<text x="12" y="42" fill="#555">{escape(subtitle)}</text>']
svg += body
svg.append(f'<text x="12" y="{H - 10}" fill="#777" font-size="11">{escape(footer)}</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg) + "\n")
PY
}
