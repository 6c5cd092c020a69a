#!/usr/bin/env python3
"""doclinks.py ROOT FILE... - the relative links of Markdown files resolve.

For every [text](target) and ![alt](target) outside code blocks and code spans, a target
that is not a URL (scheme:) must name an existing file or directory, relative to the file
that links; a #fragment must be a heading of the target Markdown file (or of FILE itself for
a bare #fragment), as GitHub makes anchors of headings. Prints one line per broken link,
"FILE:LINE: target: why", and exits 1 when there is one. ALLOW_MISSING (space-separated
paths relative to ROOT) are targets that may be missing: each is reported as "missing
(allowed)" on stderr and not counted.
"""
import os
import re
import sys

LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def lines_outside_code(text, blank_spans=True):
    """(line number, line) outside fenced blocks, with code spans blanked (for links)"""
    fenced = False
    for n, line in enumerate(text.split("\n"), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        yield n, re.sub(r"(`+)(.+?)\1", lambda m: " " * len(m.group(0)), line) if blank_spans else line


def slug(heading):
    """GitHub's anchor for a heading: lower case, markup and punctuation dropped, spaces -"""
    h = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # [text](url) -> text
    h = h.lower().replace("`", "")
    h = "".join(c for c in h if c.isalnum() or c in " -_")
    return h.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen, out = {}, set()
        with open(path, encoding="utf-8") as f:
            for _, line in lines_outside_code(f.read(), blank_spans=False):
                m = HEADING.match(line)
                if not m:
                    continue
                s = slug(m.group(2))
                k = seen.get(s, 0)
                seen[s] = k + 1
                out.add(s if k == 0 else "%s-%d" % (s, k))
        cache[path] = out
    return cache[path]


def main():
    root = os.path.abspath(sys.argv[1])
    allow = {os.path.normpath(os.path.join(root, p)) for p in os.environ.get("ALLOW_MISSING", "").split()}
    bad = 0
    for name in sys.argv[2:]:
        path = os.path.abspath(name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for n, line in lines_outside_code(text):
            for m in LINK.finditer(line):
                target = m.group(1)
                if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                    continue  # https:, mailto: ...
                file_part, _, frag = target.partition("#")
                dest = path if not file_part else os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                where = "%s:%d: %s" % (os.path.relpath(path, root), n, target)
                if not os.path.exists(dest):
                    if dest in allow:
                        print("%s: missing (allowed)" % where, file=sys.stderr)
                        continue
                    print("%s: %s does not exist" % (where, os.path.relpath(dest, root)))
                    bad += 1
                    continue
                if frag and (not dest.endswith(".md") or frag not in anchors(dest)):
                    print("%s: no heading with the anchor #%s in %s" % (where, frag, os.path.relpath(dest, root)))
                    bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
