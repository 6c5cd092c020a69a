#!/bin/sh
# lock.sh - move scripts/static/deps.lock to the newest trixie version of each source package.
#
#   sh scripts/static/lock.sh [LOCKFILE]      (make static-lock)
#
# Debian's archive keeps only the newest version of a package in a suite: when a security
# update lands, the pinned version disappears and `make static` stops with "no longer in
# Debian's archive". This script then finds, for every "pkg" line, the newest version that
# `apt-get source` offers from trixie, downloads it (apt verifies it against the signed Sources
# index), and rewrites the line and the package's "file" lines with the new version and
# SHA-256s. Components, licenses and purposes are kept; comments are kept. Review the diff
# (`git diff scripts/static/deps.lock`) and commit it; the dependency cache key changes with
# the lock, so the next `make static` rebuilds the dependencies.
#
# Exit 0 when the lock was already current or has been moved (one line per change on stdout).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
LOCK=${1:-$HERE/deps.lock}
say() { printf 'static-lock: %s\n' "$*"; }
die() { printf 'static-lock: error: %s\n' "$*" >&2; exit 1; }

[ -r "$LOCK" ] || die "cannot read $LOCK"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this needs Debian"

# the deb-src entries build-deps.sh adds (root only); without them apt-cache showsrc knows
# only bookworm, or nothing
if ! apt-cache showsrc musl 2>/dev/null | grep -q '^Version: 1\.2\.5'; then
	if [ "$(id -u)" = 0 ]; then
		say "adding deb-src entries (/etc/apt/sources.list.d/dbready-src.list)"
		printf '%s\n' 'deb-src http://deb.debian.org/debian trixie main' \
			'deb-src http://deb.debian.org/debian bookworm main' \
			>/etc/apt/sources.list.d/dbready-src.list
		apt-get update -qq
	else
		die "no trixie deb-src entry; as root add 'deb-src http://deb.debian.org/debian trixie main' to /etc/apt/sources.list.d/dbready-src.list and run apt-get update"
	fi
fi

# candidates PKG SERIES: the versions apt knows for a source package whose upstream part
# starts with the locked upstream major.minor, newest first (so that openssl 3.5.x never
# becomes 3.6 or falls back to bookworm's 3.0 by accident: a new series is a decision, not a
# refresh)
candidates() {
	for _v in $(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p'); do
		_up=${_v#*:}
		_up=${_up%-*}
		case "$_up." in "$2"*) printf '%s\n' "$_v" ;; esac
	done | sort -u | while read -r _v; do
		# rank by dpkg's ordering: count how many others it is greater than
		_n=0
		for _w in $(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p'); do
			dpkg --compare-versions "$_v" gt "$_w" && _n=$((_n + 1))
		done
		printf '%s %s\n' "$_n" "$_v"
	done | sort -rn | cut -d' ' -f2
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$LOCK" "$tmp/lock"
changed=0
awk '$1 == "pkg" { print $2, $3, $4, $5 }' "$LOCK" >"$tmp/pkgs"
while read -r comp pkg ver up; do
	# the series: major.minor of x.y.z versions (3.5.7 -> 3.5), major of x.y ones (17.11 -> 17)
	case "$up" in
	*.*.*) series=$(printf '%s\n' "$up" | cut -d. -f1-2). ;;
	*) series=$(printf '%s\n' "$up" | cut -d. -f1). ;;
	esac
	# the newest candidate whose files the archive really serves (an index can name a
	# version before its mirror has the files)
	new=
	for cand in $(candidates "$pkg" "$series"); do
		if [ "$cand" = "$ver" ]; then
			new=$ver
			break
		fi
		rm -rf "$tmp/dl/$pkg"
		mkdir -p "$tmp/dl/$pkg"
		if (cd "$tmp/dl/$pkg" && apt-get source --download-only -qq "$pkg=$cand" </dev/null >"$tmp/fetch.log" 2>&1); then
			new=$cand
			break
		fi
		say "$pkg $cand is in the index but cannot be downloaded; trying an older one"
	done
	if [ -z "$new" ]; then
		say "$pkg: no newer ${series}x version can be downloaded; keeping $ver"
		continue
	fi
	if [ "$new" = "$ver" ]; then
		say "$pkg $ver is current"
		continue
	fi
	say "$pkg $ver -> $new"
	newup=${new#*:}
	newup=${newup%-*}
	# the package's new "file" lines, sorted by name like the old ones
	(cd "$tmp/dl/$pkg" && for f in *; do
		printf 'file %s %s %s\n' "$pkg" "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
	done | LC_ALL=C sort -k3) >"$tmp/files"
	awk -v c="$comp" -v p="$pkg" -v nv="$new" -v nu="$newup" -v files="$tmp/files" '
		$1 == "pkg" && $2 == c {
			# same column layout as before; the purpose may be several words
			rest = $7
			for (i = 8; i <= NF; i++) rest = rest " " $i
			printf "pkg %-9s %-13s %-21s %-7s %-12s %s\n", $2, $3, nv, nu, $6, rest
			next
		}
		$1 == "file" && $2 == p {
			if (!done) { while ((getline l < files) > 0) print l; done = 1 }
			next
		}
		{ print }
		END { if (!done) while ((getline l < files) > 0) print l }' "$tmp/lock" >"$tmp/lock.new"
	mv "$tmp/lock.new" "$tmp/lock"
	changed=$((changed + 1))
done <"$tmp/pkgs"

if [ "$changed" -eq 0 ]; then
	say "deps.lock is current"
	exit 0
fi
cp "$tmp/lock" "$LOCK"
say "$changed package(s) moved in $LOCK; review with: git diff -- $LOCK"
