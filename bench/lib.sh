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
