#!/usr/bin/env python3
"""sbom.py - CycloneDX 1.5 JSON SBOM of build/dbready-static, generated from deps.lock.

    python3 scripts/static/sbom.py --lock scripts/static/deps.lock --binary build/dbready-static \
        --version 0.1.0 --epoch "$SOURCE_DATE_EPOCH" --out build/dbready-static.cdx.json

Deterministic: the serial number is derived from the lock and the binary's hash, the
timestamp from SOURCE_DATE_EPOCH, and keys are written in a fixed order.
"""
import argparse
import datetime
import hashlib
import json
import urllib.parse
import uuid

DESCRIPTIONS = {
    "musl": "musl C library (static libc)",
    "openssl": "OpenSSL libssl and libcrypto",
    "libpq": "PostgreSQL client library libpq (with libpgcommon/libpgport), from postgresql-17",
    "curl": "libcurl (HTTP/HTTPS only)",
    "cjson": "cJSON JSON parser",
}


def read_lock(path):
    pkgs, files = [], {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith("#"):
                continue
            if w[0] == "pkg" and len(w) >= 7:
                pkgs.append(dict(component=w[1], source=w[2], version=w[3], upstream=w[4],
                                 license=w[5], provides=w[6]))
            elif w[0] == "file" and len(w) == 4:
                files.setdefault(w[1], []).append((w[2], w[3]))
            else:
                raise SystemExit(f"{path}: cannot parse: {line.rstrip()}")
    return pkgs, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lock", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--epoch", type=int, default=0)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    pkgs, files = read_lock(a.lock)
    with open(a.lock, "rb") as f:
        lock_sha = hashlib.sha256(f.read()).hexdigest()
    with open(a.binary, "rb") as f:
        bin_sha = hashlib.sha256(f.read()).hexdigest()

    components = []
    for p in pkgs:
        # purl: the version percent-encoded ("+" is %2B, an epoch's ":" %3A; "~" stays)
        ver = urllib.parse.quote(p["version"], safe="~.-_")
        purl = f"pkg:deb/debian/{p['source']}@{ver}?arch=source&distro=trixie"
        dsc = [(n, h) for n, h in files.get(p["source"], []) if n.endswith(".dsc")]
        comp = {
            "type": "library",
            "bom-ref": purl,
            "name": p["component"],
            "version": p["upstream"],
            "description": DESCRIPTIONS.get(p["component"], p["provides"]),
            "licenses": [{"license": {"id": p["license"]}}],
            "purl": purl,
            "properties": [
                {"name": "debian:source-package", "value": p["source"]},
                {"name": "debian:version", "value": p["version"]},
                {"name": "dbready:linked", "value": p["provides"]},
            ] + [{"name": f"debian:sha256:{n}", "value": h}
                 for n, h in files.get(p["source"], [])],
        }
        if dsc:
            comp["hashes"] = [{"alg": "SHA-256", "content": dsc[0][1]}]
            comp["externalReferences"] = [{
                "type": "distribution",
                "url": f"https://deb.debian.org/debian/pool/main/{p['source'][0]}/{p['source']}/{dsc[0][0]}",
                "hashes": [{"alg": "SHA-256", "content": dsc[0][1]}],
            }]
        components.append(comp)

    ts = datetime.datetime.fromtimestamp(a.epoch, datetime.timezone.utc)
    me = {
        "type": "application",
        "bom-ref": f"pkg:generic/dbready@{a.version}",
        "name": "dbready",
        "version": a.version,
        "description": "dbready-static: fully static x86_64 build (musl)",
        "licenses": [{"license": {"id": "Apache-2.0"}}],
        "purl": f"pkg:generic/dbready@{a.version}",
        "hashes": [{"alg": "SHA-256", "content": bin_sha}],
    }
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                     f"dbready-static:{lock_sha}:{bin_sha}")),
        "version": 1,
        "metadata": {
            "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "scripts/static/sbom.py"}]},
            "component": me,
            "properties": [{"name": "dbready:deps.lock:sha256", "value": lock_sha}],
        },
        "components": components,
        "dependencies": [
            {"ref": me["bom-ref"], "dependsOn": [c["bom-ref"] for c in components]},
        ] + [{"ref": c["bom-ref"], "dependsOn": []} for c in components],
    }
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(bom, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
