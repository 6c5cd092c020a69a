#!/usr/bin/env bash
# docs_links.sh - the documentation holds together (issue 11: README a front page, reference in
# docs/): every relative link of README.md, docs/**/*.md and the READMEs that link back into
# them names a file that exists and, with a #fragment, a heading there (tests/lib/doclinks.py,
# GitHub's anchors); the checker itself fails on a broken file link and a broken anchor; the
# README keeps `make demo` and `make check` first, stays under 400 lines and has a formats
# table linking each format's page; and what the README says of `check --json` (it names the
# format) is what dbready prints.
# shellcheck disable=SC2016 # the pages written below are Markdown: backquotes are code spans
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"

# every link must resolve: nothing is allowed missing
ALLOW_MISSING=""
export ALLOW_MISSING

cd "$REPO_ROOT" || exit 1
files=(README.md charts/dbready/README.md examples/compose/README.md)
while IFS= read -r f; do files+=("$f"); done < <(find docs -name '*.md' | sort)

# --- the checker can fail ---------------------------------------------------------------------
mkdir -p "$T/links/sub"
printf '# Top\n\n## A heading, with `code`\n' >"$T/links/sub/page.md"
printf 'ok: [p](sub/page.md#a-heading-with-code) [t](#self) `[c](nowhere.md)`\n\n## Self\n' >"$T/links/good.md"
printf '```\n[in code](nowhere.md)\n```\n' >>"$T/links/good.md"
check "doclinks: a page whose links resolve passes" python3 tests/lib/doclinks.py "$T/links" "$T/links/good.md"
printf '[x](sub/missing.md)\n' >"$T/links/bad-file.md"
printf '[x](sub/page.md#no-such-heading)\n' >"$T/links/bad-anchor.md"
printf '![x](missing.svg)\n' >"$T/links/bad-image.md"
for b in bad-file bad-anchor bad-image; do
	if ALLOW_MISSING='' python3 tests/lib/doclinks.py "$T/links" "$T/links/$b.md" >"$T/links/$b.out"; then
		fail "doclinks: $b.md is refused" "exit 0 for a broken link"
	else
		assert_contains "$T/links/$b.out" "$b.md:1:" "doclinks: $b.md is refused, naming the line"
	fi
done

# --- the real pages ---------------------------------------------------------------------------
for f in "${files[@]}"; do
	check "links of $f resolve" python3 tests/lib/doclinks.py "$REPO_ROOT" "$f"
done
missing=$(python3 tests/lib/doclinks.py "$REPO_ROOT" "${files[@]}" 2>&1 >/dev/null | sort -u)
if [ -n "$missing" ]; then
	say "# allowed to be missing for now (issue 11):"
	printf '%s\n' "$missing" | sed 's/^/#   /'
fi

# --- the README's shape -----------------------------------------------------------------------
check "README.md starts with make demo and make check" \
	bash -c 'head -5 README.md | grep -q "^make demo " && head -5 README.md | grep -q "^make check "'
lines=$(wc -l <README.md)
check "README.md is a front page (under 400 lines: $lines)" test "$lines" -lt 400
awk '/^## Formats$/ {s=1; next} s && /^## / {exit} s' README.md >"$T/formats.md"
for fmt in drizzle drizzle-1 golang-migrate goose dbmate prisma flyway plain; do
	assert_contains "$T/formats.md" "| \`$fmt\` |" "README's formats table has $fmt"
	assert_contains "$T/formats.md" "(docs/formats/$fmt.md)" "README's formats table links docs/formats/$fmt.md"
done
assert_contains "$T/formats.md" "\`check --json\` name the" "README's formats section says check --json names the format"

# --- what the README says of check --json -----------------------------------------------------
run_dbready "check --json names the format (README: Formats)" 0 check --json \
	--url "postgres://app:$CANARY@db:5432/app?sslmode=require" --dir "$REPO_ROOT/examples/migrations"
check "check --json: \"format\" is drizzle, \"history_table\" drizzle's" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "drizzle", d.get("format")
assert d["history_table"] == "\"drizzle\".\"__drizzle_migrations\"", d.get("history_table")' "$RUN_OUT"

harness_finish
