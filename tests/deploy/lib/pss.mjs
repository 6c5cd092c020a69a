// pss.mjs - the Pod Security Standards "restricted" profile (which includes "baseline"), as
// documented on kubernetes.io/docs/concepts/security/pod-security-standards and implemented by
// the Pod Security Admission controller (k8s.io/pod-security-admission/policy, latest
// version): each check returns the violations it finds in one pod's metadata and spec.
//
// podOf(obj) finds the pod template of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
// Job or CronJob; restrictedViolations(meta, spec) lists "check: detail" strings.

const BASELINE_CAPS = new Set(["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
	"MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"]);
const SAFE_SYSCTLS = new Set(["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
	"net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"]);
const SELINUX_TYPES = new Set(["", "container_t", "container_init_t", "container_kvm_t",
	"container_engine_t"]);
// restricted: inline volume sources other than these are forbidden (image since 1.33)
const RESTRICTED_VOLUMES = new Set(["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
	"image", "persistentVolumeClaim", "projected", "secret"]);

export function podOf(obj) {
	if (!obj || typeof obj !== "object")
		return null;
	switch (obj.kind) {
	case "Pod":
		return { metadata: obj.metadata || {}, spec: obj.spec || {} };
	case "Deployment": case "StatefulSet": case "DaemonSet": case "ReplicaSet": case "Job":
	case "ReplicationController":
		return obj.spec && obj.spec.template
			? { metadata: obj.spec.template.metadata || {}, spec: obj.spec.template.spec || {} }
			: null;
	case "CronJob":
		return obj.spec && obj.spec.jobTemplate && obj.spec.jobTemplate.spec &&
			obj.spec.jobTemplate.spec.template
			? { metadata: obj.spec.jobTemplate.spec.template.metadata || {},
				spec: obj.spec.jobTemplate.spec.template.spec || {} }
			: null;
	default:
		return null;
	}
}

function containers(spec) {
	return [...(spec.initContainers || []), ...(spec.containers || []),
		...(spec.ephemeralContainers || [])];
}

const sc = (c) => c.securityContext || {};

// Each check: (metadata, spec) → list of details (empty: allowed).
const CHECKS = {
	// --- baseline ---
	hostProcess(meta, spec) {
		const out = [];
		if (sc(spec).windowsOptions && sc(spec).windowsOptions.hostProcess === true)
			out.push("pod sets windowsOptions.hostProcess");
		for (const c of containers(spec))
			if (sc(c).windowsOptions && sc(c).windowsOptions.hostProcess === true)
				out.push(`container "${c.name}" sets windowsOptions.hostProcess`);
		return out;
	},
	hostNamespaces(meta, spec) {
		return ["hostNetwork", "hostPID", "hostIPC"].filter((f) => spec[f] === true)
			.map((f) => `${f}=true`);
	},
	privileged(meta, spec) {
		return containers(spec).filter((c) => sc(c).privileged === true)
			.map((c) => `container "${c.name}" is privileged`);
	},
	capabilitiesBaseline(meta, spec) {
		const out = [];
		for (const c of containers(spec))
			for (const cap of (sc(c).capabilities && sc(c).capabilities.add) || [])
				if (!BASELINE_CAPS.has(cap))
					out.push(`container "${c.name}" adds ${cap}`);
		return out;
	},
	hostPathVolumes(meta, spec) {
		return (spec.volumes || []).filter((v) => v.hostPath).map((v) => `volume "${v.name}" is hostPath`);
	},
	hostPorts(meta, spec) {
		const out = [];
		for (const c of containers(spec))
			for (const p of c.ports || [])
				if (p.hostPort)
					out.push(`container "${c.name}" uses hostPort ${p.hostPort}`);
		return out;
	},
	appArmor(meta, spec) {
		const out = [];
		for (const [k, v] of Object.entries(meta.annotations || {}))
			if (k.startsWith("container.apparmor.security.beta.kubernetes.io/") &&
				v !== "runtime/default" && !String(v).startsWith("localhost/"))
				out.push(`annotation ${k}=${v}`);
		const ok = (p) => !p || p.type === "RuntimeDefault" || p.type === "Localhost";
		if (!ok(sc(spec).appArmorProfile))
			out.push(`pod appArmorProfile ${sc(spec).appArmorProfile.type}`);
		for (const c of containers(spec))
			if (!ok(sc(c).appArmorProfile))
				out.push(`container "${c.name}" appArmorProfile ${sc(c).appArmorProfile.type}`);
		return out;
	},
	seLinux(meta, spec) {
		const out = [];
		const bad = (o) => o && (!SELINUX_TYPES.has(o.type || "") || o.user || o.role);
		if (bad(sc(spec).seLinuxOptions))
			out.push("pod seLinuxOptions");
		for (const c of containers(spec))
			if (bad(sc(c).seLinuxOptions))
				out.push(`container "${c.name}" seLinuxOptions`);
		return out;
	},
	procMount(meta, spec) {
		return containers(spec).filter((c) => sc(c).procMount && sc(c).procMount !== "Default")
			.map((c) => `container "${c.name}" procMount ${sc(c).procMount}`);
	},
	seccompBaseline(meta, spec) {
		const out = [];
		if (sc(spec).seccompProfile && sc(spec).seccompProfile.type === "Unconfined")
			out.push("pod seccompProfile Unconfined");
		for (const c of containers(spec))
			if (sc(c).seccompProfile && sc(c).seccompProfile.type === "Unconfined")
				out.push(`container "${c.name}" seccompProfile Unconfined`);
		for (const [k, v] of Object.entries(meta.annotations || {}))
			if (k.startsWith("seccomp.security.alpha.kubernetes.io/") ||
				k.startsWith("container.seccomp.security.alpha.kubernetes.io/"))
				if (v === "unconfined")
					out.push(`annotation ${k}=${v}`);
		return out;
	},
	sysctls(meta, spec) {
		return (sc(spec).sysctls || []).filter((s) => !SAFE_SYSCTLS.has(s.name))
			.map((s) => `sysctl ${s.name}`);
	},
	hostProbesAndLifecycle(meta, spec) {
		const out = [];
		for (const c of containers(spec)) {
			const handlers = [["livenessProbe", c.livenessProbe], ["readinessProbe", c.readinessProbe],
				["startupProbe", c.startupProbe],
				["lifecycle.postStart", c.lifecycle && c.lifecycle.postStart],
				["lifecycle.preStop", c.lifecycle && c.lifecycle.preStop]];
			for (const [name, h] of handlers) {
				if (!h)
					continue;
				if ((h.httpGet && h.httpGet.host) || (h.tcpSocket && h.tcpSocket.host))
					out.push(`container "${c.name}" ${name} sets a host`);
			}
		}
		return out;
	},
	// --- restricted ---
	restrictedVolumes(meta, spec) {
		const out = [];
		for (const v of spec.volumes || []) {
			const types = Object.keys(v).filter((k) => k !== "name");
			if (types.length !== 1 || !RESTRICTED_VOLUMES.has(types[0]))
				out.push(`volume "${v.name}" uses ${types.join("+") || "no source"}`);
		}
		return out;
	},
	allowPrivilegeEscalation(meta, spec) {
		if (spec.os && spec.os.name === "windows")
			return [];
		return containers(spec).filter((c) => sc(c).allowPrivilegeEscalation !== false)
			.map((c) => `container "${c.name}" must set securityContext.allowPrivilegeEscalation=false`);
	},
	runAsNonRoot(meta, spec) {
		const out = [];
		const pod = sc(spec).runAsNonRoot;
		if (pod === false)
			out.push("pod sets runAsNonRoot=false");
		for (const c of containers(spec)) {
			const v = sc(c).runAsNonRoot;
			if (v === false)
				out.push(`container "${c.name}" sets runAsNonRoot=false`);
			else if (v !== true && pod !== true)
				out.push(`pod or container "${c.name}" must set runAsNonRoot=true`);
		}
		return out;
	},
	runAsUser(meta, spec) {
		const out = [];
		if (sc(spec).runAsUser === 0)
			out.push("pod sets runAsUser=0");
		for (const c of containers(spec))
			if (sc(c).runAsUser === 0)
				out.push(`container "${c.name}" sets runAsUser=0`);
		return out;
	},
	seccompRestricted(meta, spec) {
		const out = [];
		const ok = (p) => p && (p.type === "RuntimeDefault" || p.type === "Localhost");
		const podSet = ok(sc(spec).seccompProfile);
		if (sc(spec).seccompProfile && !podSet)
			out.push(`pod seccompProfile ${sc(spec).seccompProfile.type}`);
		for (const c of containers(spec)) {
			const p = sc(c).seccompProfile;
			if (p && !ok(p))
				out.push(`container "${c.name}" seccompProfile ${p.type}`);
			else if (!p && !podSet)
				out.push(`pod or container "${c.name}" must set seccompProfile RuntimeDefault or Localhost`);
		}
		return out;
	},
	capabilitiesRestricted(meta, spec) {
		if (spec.os && spec.os.name === "windows")
			return [];
		const out = [];
		for (const c of containers(spec)) {
			const caps = sc(c).capabilities || {};
			if (!(caps.drop || []).includes("ALL"))
				out.push(`container "${c.name}" must drop ALL capabilities`);
			for (const cap of caps.add || [])
				if (cap !== "NET_BIND_SERVICE")
					out.push(`container "${c.name}" adds ${cap}`);
		}
		return out;
	},
};

export const CHECK_NAMES = Object.keys(CHECKS);

// restrictedViolations(metadata, spec) → ["check: detail", ...]
export function restrictedViolations(meta, spec) {
	const out = [];
	for (const [name, fn] of Object.entries(CHECKS))
		for (const d of fn(meta || {}, spec || {}))
			out.push(`${name}: ${d}`);
	return out;
}
