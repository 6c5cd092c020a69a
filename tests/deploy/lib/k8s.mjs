// k8s.mjs - validate Kubernetes objects against the official OpenAPI schema, as shipped by
// the npm package kubernetes-models (ajv validators generated from Kubernetes' own OpenAPI
// document: types, required fields, enums, formats such as quantities), plus what the API
// server's strict field validation (kubectl's default) adds and that schema leaves open:
// no unknown fields. The field lists come from the same package's type declarations, so
// both checks describe the same Kubernetes version.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const MODULES = resolve(HERE, "../node_modules");
const MODELS = join(MODULES, "kubernetes-models");

// apiVersion → the package's directory: "v1", "apps/v1", "networking.k8s.io/v1" as they are
function modelDir(apiVersion) {
	return String(apiVersion).replace(/[^A-Za-z0-9./-]/g, "");
}

export function modelFile(apiVersion, kind) {
	return join(MODELS, modelDir(apiVersion), `${kind}.d.ts`);
}

// --- the field lists, from the .d.ts declarations ---------------------------------------------

const typeCache = new Map(); // d.ts path → {fields: Map(name → typeString), imports: Map}

function stripComments(s) {
	return s.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

// the body of `export interface IName ... { ... }` (the first interface in the file)
function interfaceBody(src) {
	const m = /export interface (\w+)[^{]*\{/.exec(src);
	if (!m)
		return null;
	let depth = 1, i = m.index + m[0].length;
	const start = i;
	for (; i < src.length && depth > 0; i++) {
		if (src[i] === "{") depth++;
		else if (src[i] === "}") depth--;
	}
	return { name: m[1], body: src.slice(start, i - 1), extendsTypeMeta: /extends TypeMeta/.test(m[0]) };
}

// "name"?: Type;  with Type possibly spanning { ... } or < ... >
function parseFields(body) {
	const fields = new Map();
	const re = /"([^"]+)"\??\s*:\s*/g;
	let m;
	while ((m = re.exec(body)) !== null) {
		let i = re.lastIndex, depth = 0;
		for (; i < body.length; i++) {
			const c = body[i];
			if (c === "{" || c === "<" || c === "(") depth++;
			else if (c === "}" || c === ">" || c === ")") depth--;
			else if (c === ";" && depth === 0) break;
		}
		fields.set(m[1], body.slice(re.lastIndex, i).trim());
		re.lastIndex = i + 1;
	}
	return fields;
}

function loadType(file) {
	if (typeCache.has(file))
		return typeCache.get(file);
	let entry = null;
	if (existsSync(file)) {
		const src = stripComments(readFileSync(file, "utf8"));
		const imports = new Map();
		for (const im of src.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
			const spec = im[2];
			let target;
			if (spec.startsWith("."))
				target = resolve(dirname(file), spec.replace(/\.js$/, ".d.ts"));
			else if (spec.startsWith("@kubernetes-models/"))
				target = join(MODULES, spec.replace(/\.js$/, "") + ".d.ts");
			if (target)
				imports.set(im[1], target);
		}
		const itf = interfaceBody(src);
		if (itf) {
			const fields = parseFields(itf.body);
			if (itf.extendsTypeMeta) {
				fields.set("apiVersion", "string");
				fields.set("kind", "string");
			}
			entry = { fields, imports };
		} else {
			entry = { fields: null, imports }; // a scalar type (Quantity, IntOrString, Time)
		}
	}
	typeCache.set(file, entry);
	return entry;
}

// walk VALUE against TYPE (a type string in the context of the declaring file)
function walk(value, type, ctxFile, path, problems, stats) {
	if (value === null || value === undefined)
		return;
	type = type.trim();
	let m;
	if ((m = /^Array<(.+)>$/s.exec(type))) {
		if (Array.isArray(value))
			value.forEach((v, i) => walk(v, m[1], ctxFile, `${path}[${i}]`, problems, stats));
		return;
	}
	if ((m = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/s.exec(type))) {
		if (value && typeof value === "object" && !Array.isArray(value))
			for (const [k, v] of Object.entries(value))
				walk(v, m[1], ctxFile, `${path}.${k}`, problems, stats);
		return;
	}
	if (!/^\w+$/.test(type))
		return; // a union of literals, or another scalar form
	const ctx = loadType(ctxFile);
	const target = ctx && ctx.imports.get(type);
	if (!target)
		return; // string, number, boolean, any
	const t = loadType(target);
	if (!t || !t.fields)
		return; // a scalar type
	if (!value || typeof value !== "object" || Array.isArray(value))
		return; // the type check (ajv) reports it
	for (const [k, v] of Object.entries(value)) {
		stats.fields++;
		if (!t.fields.has(k)) {
			problems.push(`${path}.${k}: unknown field (${type.replace(/^IIoK8s(ApimachineryPkgApis|Api)/, "")} has: ${[...t.fields.keys()].join(", ")})`);
			continue;
		}
		walk(v, t.fields.get(k), target, `${path}.${k}`, problems, stats);
	}
}

// unknownFields(obj) → list of problems ("spec.template...: unknown field")
export function unknownFields(obj, stats = { fields: 0 }) {
	const file = modelFile(obj.apiVersion, obj.kind);
	const t = loadType(file);
	if (!t || !t.fields)
		return [`no declaration for ${obj.apiVersion} ${obj.kind} (${file})`];
	const problems = [];
	for (const [k, v] of Object.entries(obj)) {
		stats.fields++;
		if (!t.fields.has(k)) {
			problems.push(`${k}: unknown top-level field`);
			continue;
		}
		walk(v, t.fields.get(k), file, k, problems, stats);
	}
	return problems;
}

// schemaProblems(obj) → list of problems from the OpenAPI schema (ajv)
export async function schemaProblems(obj) {
	if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind)
		return ["not a Kubernetes object (apiVersion and kind are required)"];
	const file = modelFile(obj.apiVersion, obj.kind);
	if (!existsSync(file))
		return [`unknown kind ${obj.kind} in ${obj.apiVersion}`];
	const mod = await import(`kubernetes-models/${modelDir(obj.apiVersion)}/${obj.kind}`);
	const Cls = mod[obj.kind] || mod.default;
	try {
		new Cls(obj).validate();
	} catch (e) {
		return String(e.message).split(/, (?=data\/)/);
	}
	return [];
}

// validateObject(obj) → all problems: schema, unknown fields, and a metadata.name
export async function validateObject(obj) {
	const problems = await schemaProblems(obj);
	if (problems.length)
		return problems;
	problems.push(...unknownFields(obj));
	if (!obj.metadata || !obj.metadata.name)
		problems.push("metadata.name is missing");
	return problems;
}

export function describe(obj) {
	return `${obj && obj.kind}/${obj && obj.metadata && obj.metadata.name}`;
}
