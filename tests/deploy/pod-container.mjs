// pod-container.mjs BUILT KIND/NAME CONTAINER - one container of a pod template in BUILT (the
// output of `kubectl kustomize`), as tab-separated lines a shell test reads to run exactly
// what the manifest says:
//   arg <word>                      the container's args, in order
//   env <name> <value>              a literal environment variable
//   envsecret <name> <secret>.<key> a variable from secretKeyRef
//   mount <volume> <mountPath>
//   restart <policy>                restartPolicy (native sidecar: Always)
//   probe <word>                    the startupProbe's exec command, in order
//   user <uid> / group <gid>        runAsUser / runAsGroup (the container's, else the pod's)
//   fsgroup <gid>                   the pod's fsGroup (a supplementary group of the process)
import { readFileSync } from "node:fs";
import { parseK8sYaml } from "./lib/report.mjs";
import { podOf } from "./lib/pss.mjs";

const [BUILT, TARGET, NAME] = process.argv.slice(2);
const [kind, name] = TARGET.split("/");
const obj = parseK8sYaml(readFileSync(BUILT, "utf8"), BUILT).find((o) => o.kind === kind && o.metadata.name === name);
if (!obj)
	throw new Error(`${TARGET} is not in ${BUILT}`);
const spec = podOf(obj).spec;
const c = [...(spec.initContainers || []), ...(spec.containers || [])].find((x) => x.name === NAME);
if (!c)
	throw new Error(`${TARGET} has no container ${NAME}`);
const out = [];
for (const a of c.args || [])
	out.push(["arg", a]);
for (const e of c.env || []) {
	if (e.valueFrom && e.valueFrom.secretKeyRef)
		out.push(["envsecret", e.name, `${e.valueFrom.secretKeyRef.name}.${e.valueFrom.secretKeyRef.key}`]);
	else if (e.valueFrom)
		throw new Error(`env ${e.name}: only values and secretKeyRef are supported`);
	else
		out.push(["env", e.name, e.value === undefined ? "" : String(e.value)]);
}
for (const m of c.volumeMounts || [])
	out.push(["mount", m.name, m.mountPath]);
if (c.restartPolicy)
	out.push(["restart", c.restartPolicy]);
for (const w of (c.startupProbe && c.startupProbe.exec && c.startupProbe.exec.command) || [])
	out.push(["probe", w]);
const sc = c.securityContext || {}, psc = spec.securityContext || {};
for (const [k, f] of [["user", "runAsUser"], ["group", "runAsGroup"]]) {
	const v = sc[f] !== undefined ? sc[f] : psc[f];
	if (v !== undefined)
		out.push([k, String(v)]);
}
if (psc.fsGroup !== undefined)
	out.push(["fsgroup", String(psc.fsGroup)]);
for (const l of out) {
	if (l.some((x) => /[\t\n]/.test(x)))
		throw new Error(`a tab or newline in ${l.join(" ")}`);
	process.stdout.write(l.join("\t") + "\n");
}
