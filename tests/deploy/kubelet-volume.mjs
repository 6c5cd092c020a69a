// kubelet-volume.mjs BUILT KIND/NAME VOLUME DEST [--secret NAME.KEY=FILE]... [--no-fsgroup]
//
// Writes DEST as the kubelet would fill the pod volume VOLUME of object KIND/NAME in BUILT
// (the output of `kubectl kustomize`): configMap, secret and projected volumes, their items,
// optional sources and modes, with the kubelet's atomic writer layout (AtomicWriter,
// pkg/volume/util/atomic_writer.go): the payload inside a hidden "..2006_01_02_15_04_05.N"
// directory, a "..data" symlink to it, and one symlink "name -> ..data/name" per top-level
// entry. When the pod sets an fsGroup the files belong to that group and are group readable
// (--no-fsgroup: as if it did not). Secret data comes from files (--secret app-db.url=/path), never from BUILT.
// Prints the files it wrote (path, octal mode), one per line.
import { chmodSync, chownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseK8sYaml } from "./lib/report.mjs";
import { podOf } from "./lib/pss.mjs";

const args = process.argv.slice(2);
const [BUILT, TARGET, VOLUME, DEST] = args;
const secrets = {};
let ignoreFsGroup = false;
for (let i = 4; i < args.length; i++) {
	if (args[i] === "--secret") {
		const [k, f] = args[++i].split("=");
		secrets[k] = readFileSync(f);
	} else if (args[i] === "--no-fsgroup") {
		ignoreFsGroup = true;
	} else {
		throw new Error(`unknown argument ${args[i]}`);
	}
}

const objs = parseK8sYaml(readFileSync(BUILT, "utf8"), BUILT);
const [kind, name] = TARGET.split("/");
const obj = objs.find((o) => o.kind === kind && o.metadata.name === name);
if (!obj)
	throw new Error(`${TARGET} is not in ${BUILT}`);
const podSpec = podOf(obj).spec;
const vol = (podSpec.volumes || []).find((v) => v.name === VOLUME);
if (!vol)
	throw new Error(`${TARGET} has no volume ${VOLUME}`);

// one source ({configMap: ref} or {secret: ref}) → [{path, data, mode}]
function project(src, defaultMode) {
	let ref, what, data;
	if (src.configMap) {
		ref = src.configMap;
		what = `ConfigMap ${ref.name}`;
		const cm = objs.find((o) => o.kind === "ConfigMap" && o.metadata.name === ref.name);
		data = cm ? Object.fromEntries(Object.entries(cm.data || {}).map(([k, v]) => [k, Buffer.from(v)])) : null;
	} else if (src.secret) {
		ref = src.secret;
		const sname = ref.secretName || ref.name; // a secret volume or a projected source
		what = `Secret ${sname}`;
		const keys = Object.keys(secrets).filter((k) => k.startsWith(sname + "."));
		data = keys.length ? Object.fromEntries(keys.map((k) => [k.slice(sname.length + 1), secrets[k]])) : null;
	} else {
		throw new Error(`unsupported source ${Object.keys(src)}`);
	}
	const optional = ref.optional === true;
	if (!data) {
		if (optional)
			return [];
		throw new Error(`${what} does not exist and is not optional`);
	}
	if (!ref.items)
		return Object.entries(data).map(([k, v]) => ({ path: k, data: v, mode: defaultMode }));
	const out = [];
	for (const it of ref.items) {
		if (!(it.key in data)) {
			if (optional)
				continue;
			throw new Error(`${what} has no key ${it.key}`);
		}
		out.push({ path: it.path, data: data[it.key], mode: it.mode !== undefined ? it.mode : defaultMode });
	}
	return out;
}

let payload;
if (vol.projected) {
	const dm = vol.projected.defaultMode !== undefined ? vol.projected.defaultMode : 0o644;
	payload = vol.projected.sources.flatMap((s) => project(s, dm));
} else if (vol.configMap) {
	payload = project({ configMap: vol.configMap }, vol.configMap.defaultMode !== undefined ? vol.configMap.defaultMode : 0o644);
} else if (vol.secret) {
	payload = project({ secret: vol.secret }, vol.secret.defaultMode !== undefined ? vol.secret.defaultMode : 0o644);
} else {
	throw new Error(`volume ${VOLUME}: only configMap, secret and projected volumes are laid out`);
}
const seen = new Set();
for (const p of payload) {
	if (seen.has(p.path))
		throw new Error(`two sources project ${p.path}`);
	seen.add(p.path);
}

const fsGroup = !ignoreFsGroup && podSpec.securityContext && podSpec.securityContext.fsGroup !== undefined
	? podSpec.securityContext.fsGroup : null;

// the atomic writer's layout
const now = new Date();
const pad = (n, w = 2) => String(n).padStart(w, "0");
const ts = `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_` +
	`${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.` +
	`${Math.floor(Math.random() * 1e9)}`;
mkdirSync(join(DEST, ts), { recursive: true, mode: 0o755 });
const own = (p) => { if (fsGroup !== null) chownSync(p, 0, fsGroup); };
for (const p of payload) {
	const file = join(DEST, ts, p.path);
	mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
	writeFileSync(file, p.data);
	// with an fsGroup the kubelet makes the files group-readable (SetVolumeOwnership)
	const mode = fsGroup !== null ? p.mode | 0o440 : p.mode;
	chmodSync(file, mode);
	own(file);
	process.stdout.write(`${p.path} ${mode.toString(8)}\n`);
}
chmodSync(DEST, 0o755);
chmodSync(join(DEST, ts), 0o755);
own(DEST);
symlinkSync(ts, join(DEST, "..data"));
for (const top of new Set(payload.map((p) => p.path.split("/")[0])))
	symlinkSync(join("..data", top), join(DEST, top));
