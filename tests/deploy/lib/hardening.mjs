// hardening.mjs - what every dbready container we ship must have, beyond the Pod Security
// Standard: the image's uid 65532 (non-root, matching fsGroup-readable secrets), a read-only
// root filesystem, no capabilities, no privilege escalation, the RuntimeDefault seccomp
// profile (its own or the pod's), and the termination message from the log when dbready
// could not write one.
export function dbreadyContainerProblems(c, podSpec = {}) {
	const p = [];
	const s = c.securityContext || {};
	const pod = podSpec.securityContext || {};
	const eff = (k) => (s[k] !== undefined ? s[k] : pod[k]);
	if (eff("runAsNonRoot") !== true) p.push("runAsNonRoot is not true");
	if (eff("runAsUser") !== 65532) p.push(`runAsUser ${eff("runAsUser")}, want 65532`);
	if (eff("runAsGroup") !== 65532) p.push(`runAsGroup ${eff("runAsGroup")}, want 65532`);
	if (s.readOnlyRootFilesystem !== true) p.push("readOnlyRootFilesystem is not true");
	if (s.allowPrivilegeEscalation !== false) p.push("allowPrivilegeEscalation is not false");
	if (JSON.stringify((s.capabilities || {}).drop) !== '["ALL"]' || (s.capabilities || {}).add)
		p.push("capabilities are not exactly drop [ALL]");
	const sec = s.seccompProfile || pod.seccompProfile || {};
	if (sec.type !== "RuntimeDefault") p.push(`seccompProfile ${sec.type}, want RuntimeDefault`);
	if (c.terminationMessagePolicy !== "FallbackToLogsOnError")
		p.push(`terminationMessagePolicy ${c.terminationMessagePolicy}, want FallbackToLogsOnError`);
	if (s.privileged) p.push("privileged");
	return p;
}
