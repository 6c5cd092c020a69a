#!/usr/bin/env python3
"""jsonlog.py - check and query dbready's JSON log (stderr with --log-format json).

  jsonlog.py validate FILE          every line is one JSON object with ts (RFC 3339, UTC),
                                    level (error/warning/info/debug) and msg (a string);
                                    an attempt line (event attempt_failed) carries an
                                    integer attempt >= 1; the file is not empty
  jsonlog.py count FILE FILTER...   print how many lines match every filter:
                                    key=value (string compare), key (present), !key (absent)
  jsonlog.py get FILE KEY FILTER... print KEY of the first line matching the filters

Exit status: 0 when valid / found, 1 otherwise (with the reasons on stdout).
"""
import json
import re
import sys
from datetime import datetime

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
LEVELS = {"error", "warning", "info", "debug"}


def load(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def problems(lines):
    if not lines:
        yield "the log is empty"
    for n, line in enumerate(lines, 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            yield f"line {n}: not JSON ({e}): {line[:200]}"
            continue
        if not isinstance(o, dict):
            yield f"line {n}: not an object"
            continue
        ts = o.get("ts")
        if not isinstance(ts, str) or not TS.match(ts):
            yield f"line {n}: ts {ts!r} is not RFC 3339 UTC (....Z)"
        else:
            try:
                datetime.strptime(ts.split(".")[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                yield f"line {n}: ts {ts!r} is not a real date"
        if o.get("level") not in LEVELS:
            yield f"line {n}: level {o.get('level')!r} not one of {sorted(LEVELS)}"
        if not isinstance(o.get("msg"), str) or not o["msg"]:
            yield f"line {n}: msg missing or empty"
        if o.get("event") == "attempt_failed" or str(o.get("msg", "")).startswith("attempt "):
            a = o.get("attempt")
            if not isinstance(a, int) or isinstance(a, bool) or a < 1:
                yield f"line {n}: attempt line without an integer attempt: {line[:200]}"


def matches(o, filters):
    for f in filters:
        if f.startswith("!"):
            if f[1:] in o:
                return False
        elif "=" in f:
            k, v = f.split("=", 1)
            if k not in o or str(o[k]) != v:
                return False
        elif f not in o:
            return False
    return True


def objects(lines):
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if isinstance(o, dict):
            yield o


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    cmd, path = argv[1], argv[2]
    lines = load(path)
    if cmd == "validate":
        found = list(problems(lines))
        for p in found[:20]:
            print(p)
        return 1 if found else 0
    if cmd == "count":
        print(sum(1 for o in objects(lines) if matches(o, argv[3:])))
        return 0
    if cmd == "get":
        for o in objects(lines):
            if matches(o, argv[4:]) and argv[3] in o:
                print(o[argv[3]])
                return 0
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
