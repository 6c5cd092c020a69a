// check-pss-selftest.mjs REPO - the Pod Security Standard checker (lib/pss.mjs) can fail:
// starting from a compliant pod (manifests/deployment.yaml's), each mutation below breaks one
// documented rule of "restricted" (or of "baseline", which it includes), and the checker must
// reject it naming that rule, while the unmodified pod passes. Every check of the checker is
// exercised at least once.
import { join } from "node:path";
import { check, exitStatus, loadK8sYaml } from "./lib/report.mjs";
import { CHECK_NAMES, podOf, restrictedViolations } from "./lib/pss.mjs";

const [REPO] = process.argv.slice(2);
const base = podOf(loadK8sYaml(join(REPO, "manifests/deployment.yaml"))[0]);
const clone = () => JSON.parse(JSON.stringify(base));
const init = (p) => p.spec.initContainers[0];
const app = (p) => p.spec.containers[0];

const MUTATIONS = [
	["hostProcess", "windowsOptions.hostProcess", (p) => { app(p).securityContext.windowsOptions = { hostProcess: true }; }],
	["hostNamespaces", "hostNetwork", (p) => { p.spec.hostNetwork = true; }],
	["hostNamespaces", "hostPID", (p) => { p.spec.hostPID = true; }],
	["privileged", "a privileged initContainer", (p) => { init(p).securityContext.privileged = true; }],
	["capabilitiesBaseline", "adding SYS_ADMIN", (p) => { app(p).securityContext.capabilities.add = ["SYS_ADMIN"]; }],
	["hostPathVolumes", "a hostPath volume", (p) => { p.spec.volumes.push({ name: "h", hostPath: { path: "/" } }); }],
	["hostPorts", "a hostPort", (p) => { app(p).ports = [{ containerPort: 80, hostPort: 80 }]; }],
	["appArmor", "an unconfined AppArmor profile", (p) => { app(p).securityContext.appArmorProfile = { type: "Unconfined" }; }],
	["seLinux", "a custom SELinux user", (p) => { p.spec.securityContext.seLinuxOptions = { user: "system_u" }; }],
	["procMount", "an unmasked /proc", (p) => { init(p).securityContext.procMount = "Unmasked"; }],
	["seccompBaseline", "seccomp Unconfined", (p) => { init(p).securityContext.seccompProfile = { type: "Unconfined" }; }],
	["sysctls", "an unsafe sysctl", (p) => { p.spec.securityContext.sysctls = [{ name: "kernel.msgmax", value: "1" }]; }],
	["hostProbesAndLifecycle", "a probe to another host", (p) => { app(p).livenessProbe = { httpGet: { host: "10.0.0.1", port: 80 } }; }],
	["restrictedVolumes", "an nfs volume", (p) => { p.spec.volumes.push({ name: "n", nfs: { server: "x", path: "/" } }); }],
	["allowPrivilegeEscalation", "allowPrivilegeEscalation unset", (p) => { delete init(p).securityContext.allowPrivilegeEscalation; }],
	["runAsNonRoot", "runAsNonRoot unset on pod and app", (p) => { delete p.spec.securityContext.runAsNonRoot; }],
	["runAsNonRoot", "a container with runAsNonRoot=false", (p) => { app(p).securityContext.runAsNonRoot = false; }],
	["runAsUser", "runAsUser 0", (p) => { init(p).securityContext.runAsUser = 0; }],
	["seccompRestricted", "no seccomp profile for the app", (p) => { delete p.spec.securityContext.seccompProfile; }],
	["capabilitiesRestricted", "capabilities not dropped", (p) => { delete app(p).securityContext.capabilities; }],
	["capabilitiesRestricted", "adding CHOWN (baseline allows it)", (p) => { init(p).securityContext.capabilities.add = ["CHOWN"]; }],
];

check("pss self-test: the compliant pod passes", () => restrictedViolations(base.metadata, base.spec));
const exercised = new Set();
for (const [rule, what, mutate] of MUTATIONS) {
	const p = clone();
	mutate(p);
	check(`pss self-test: ${what} is rejected by ${rule}`, () => {
		const v = restrictedViolations(p.metadata, p.spec);
		if (v.some((x) => x.startsWith(rule + ":"))) {
			exercised.add(rule);
			return [];
		}
		return [`not rejected by ${rule}; violations: ${v.join("; ") || "none"}`];
	});
}
check("pss self-test: every check of the checker rejected something", () =>
	CHECK_NAMES.filter((n) => !exercised.has(n)).map((n) => `${n} never fired`));

process.exitCode = exitStatus();
