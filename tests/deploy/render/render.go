// render.go - render a Helm chart without helm, for the tests of charts/dbready on a machine
// where helm cannot be installed. It is not helm: it is Go's text/template with sprig v3 (the
// engine and the function library helm itself uses, here from Debian's packages), plus helm's
// own template functions and built-in objects reimplemented as helm documents them (include,
// tpl, required, toYaml, fromYaml, fromJson, .Files.Get/Glob/AsConfig/Lines, .Release,
// .Chart, .Capabilities, .Template, .Subcharts), values coalesced from values.yaml, -f files,
// --set and --set-file as helm does for the cases the tests use, and helm lint --strict's
// missingkey=error. The GitHub workflow renders the chart with the real helm.
//
//	render [-f VALUES]... [--set K=V]... [--set-file K=PATH]... [--name RELEASE]
//	       [--namespace NS] [--revision N] [--upgrade] [--values-out FILE] [--notes-out FILE] CHART
//
// Prints the manifests as `helm template` does ("---\n# Source: ..."); --values-out writes
// each chart's coalesced values as JSON ({"dbready": ..., "app/charts/dbready": ...}), which
// the tests validate against the chart's values.schema.json as helm would.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	yaml "gopkg.in/yaml.v2"
)

type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }
func (f files) Lines(name string) []string {
	return strings.Split(strings.TrimRight(string(f[name]), "\n"), "\n")
}
func (f files) Glob(pattern string) files {
	out := files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}
func (f files) AsConfig() string {
	m := map[string]string{}
	for name, data := range f {
		m[path.Base(name)] = string(data)
	}
	b, _ := yaml.Marshal(m)
	return strings.TrimSuffix(string(b), "\n")
}

type chart struct {
	name      string
	dir       string // path of the chart's templates relative to the top ("dbready", "app/charts/dbready")
	meta      map[string]interface{}
	values    map[string]interface{}
	files     files
	templates map[string]string // file name (relative to the chart) → text
	subcharts []*chart
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", a...)
	os.Exit(1)
}

// helm reads YAML through JSON: maps with string keys, every number a float64
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	default:
		return v
	}
}

func readYAMLMap(file string) map[string]interface{} {
	data, err := os.ReadFile(file)
	if err != nil {
		die("%v", err)
	}
	var v interface{}
	if err := yaml.Unmarshal(data, &v); err != nil {
		die("%s: %v", file, err)
	}
	if v == nil {
		return map[string]interface{}{}
	}
	m, ok := normalize(v).(map[string]interface{})
	if !ok {
		die("%s: not a map", file)
	}
	return m
}

func loadChart(dir, prefix string) *chart {
	meta := readYAMLMap(filepath.Join(dir, "Chart.yaml"))
	name, _ := meta["name"].(string)
	c := &chart{name: name, dir: path.Join(prefix, name), meta: meta, files: files{}, templates: map[string]string{}}
	if _, err := os.Stat(filepath.Join(dir, "values.yaml")); err == nil {
		c.values = readYAMLMap(filepath.Join(dir, "values.yaml"))
	} else {
		c.values = map[string]interface{}{}
	}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if info.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			c.templates[rel] = string(data)
		} else if rel != "Chart.yaml" && rel != "values.yaml" && rel != "values.schema.json" {
			c.files[rel] = data
		}
		return nil
	})
	if err != nil {
		die("%v", err)
	}
	subs, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, s := range subs {
		if s.IsDir() {
			c.subcharts = append(c.subcharts, loadChart(filepath.Join(dir, "charts", s.Name()), path.Join(c.dir, "charts")))
		}
	}
	return c
}

// coalesce: dst's maps are merged with src's, anything else in src replaces; a null deletes
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = coalesce(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

func deepCopy(v interface{}) interface{} {
	b, _ := json.Marshal(v)
	var out interface{}
	d := json.NewDecoder(bytes.NewReader(b))
	_ = d.Decode(&out)
	return out
}

// --set a.b\.c=v: helm's strvals for a dotted key and a scalar value
func setPath(m map[string]interface{}, key string, val interface{}) {
	var parts []string
	cur := ""
	for i := 0; i < len(key); i++ {
		if key[i] == '\\' && i+1 < len(key) {
			cur += string(key[i+1])
			i++
		} else if key[i] == '.' {
			parts = append(parts, cur)
			cur = ""
		} else {
			cur += string(key[i])
		}
	}
	parts = append(parts, cur)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = val
}

func typedValue(s string) interface{} {
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || !strings.HasPrefix(s, "0")) {
		return i
	}
	return s
}

func toYAML(v interface{}) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

type renderer struct {
	t      *template.Template
	strict bool
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = func(s string) map[string]interface{} {
		var v interface{}
		if err := yaml.Unmarshal([]byte(s), &v); err != nil {
			return map[string]interface{}{"Error": err.Error()}
		}
		if m, ok := normalize(v).(map[string]interface{}); ok {
			return m
		}
		return map[string]interface{}{}
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		err := r.t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := r.t.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return buf.String(), err
	}
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(msg)
		}
		return v, nil
	}
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

type capabilities struct {
	KubeVersion map[string]string
	APIVersions apiVersions
}
type apiVersions []string

func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

// the context each template of chart c executes with
func contexts(c *chart, values map[string]interface{}, release map[string]interface{}, caps capabilities, out map[*chart]map[string]interface{}) map[string]interface{} {
	meta := map[string]interface{}{}
	for k, v := range c.meta {
		meta[strings.ToUpper(k[:1])+k[1:]] = v
	}
	subs := map[string]interface{}{}
	for _, s := range c.subcharts {
		sv := coalesce(deepCopy(s.values).(map[string]interface{}), func() map[string]interface{} {
			if m, ok := values[s.name].(map[string]interface{}); ok {
				return deepCopy(m).(map[string]interface{})
			}
			return map[string]interface{}{}
		}())
		subs[s.name] = contexts(s, sv, release, caps, out)
	}
	ctx := map[string]interface{}{
		"Values": values, "Release": release, "Chart": meta, "Files": c.files,
		"Capabilities": caps, "Subcharts": subs,
		"Template": map[string]interface{}{"BasePath": path.Join(c.dir, "templates")},
	}
	out[c] = ctx
	return ctx
}

func allCharts(c *chart) []*chart {
	out := []*chart{c}
	for _, s := range c.subcharts {
		out = append(out, allCharts(s)...)
	}
	return out
}

func main() {
	var valueFiles, sets, setFiles []string
	release := map[string]interface{}{"Name": "release-name", "Namespace": "default", "Revision": 1,
		"IsInstall": true, "IsUpgrade": false, "Service": "Helm"}
	valuesOut, notesOut, chartDir := "", "", ""
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		next := func() string {
			i++
			if i >= len(args) {
				die("%s needs a value", args[i-1])
			}
			return args[i]
		}
		switch a := args[i]; a {
		case "-f", "--values":
			valueFiles = append(valueFiles, next())
		case "--set":
			sets = append(sets, next())
		case "--set-file":
			setFiles = append(setFiles, next())
		case "--name":
			release["Name"] = next()
		case "--namespace", "-n":
			release["Namespace"] = next()
		case "--revision":
			n, _ := strconv.Atoi(next())
			release["Revision"] = n
		case "--upgrade":
			release["IsInstall"], release["IsUpgrade"] = false, true
		case "--values-out":
			valuesOut = next()
		case "--notes-out":
			notesOut = next()
		default:
			if strings.HasPrefix(a, "-") || chartDir != "" {
				die("unknown argument %q", a)
			}
			chartDir = a
		}
	}
	if chartDir == "" {
		die("usage: render [options] CHART")
	}
	top := loadChart(chartDir, "")
	values := deepCopy(top.values).(map[string]interface{})
	for _, f := range valueFiles {
		values = coalesce(values, readYAMLMap(f))
	}
	for _, s := range sets {
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				die("--set %q: no =", kv)
			}
			setPath(values, k, typedValue(v))
		}
	}
	for _, s := range setFiles {
		k, p, ok := strings.Cut(s, "=")
		if !ok {
			die("--set-file %q: no =", s)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			die("--set-file %s: %v", k, err)
		}
		setPath(values, k, string(data))
	}
	caps := capabilities{
		KubeVersion: map[string]string{"Version": "v1.33.0", "Major": "1", "Minor": "33", "GitVersion": "v1.33.0"},
		APIVersions: apiVersions{"v1", "apps/v1", "batch/v1"},
	}
	ctxs := map[*chart]map[string]interface{}{}
	contexts(top, values, release, caps, ctxs)
	if valuesOut != "" {
		// each chart's values, as its templates see them: {"app": ..., "app/charts/dbready": ...}
		all := map[string]interface{}{}
		for c, ctx := range ctxs {
			all[c.dir] = ctx["Values"]
		}
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(valuesOut, b, 0o644); err != nil {
			die("%v", err)
		}
	}

	r := &renderer{}
	r.t = template.New("gotpl").Option("missingkey=error")
	r.t.Funcs(r.funcs())
	type job struct {
		name string
		ctx  map[string]interface{}
	}
	var jobs []job
	var notes *job
	for _, c := range allCharts(top) {
		names := make([]string, 0, len(c.templates))
		for n := range c.templates {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			full := path.Join(c.dir, n)
			if _, err := r.t.New(full).Parse(c.templates[n]); err != nil {
				die("%v", err)
			}
			base := path.Base(n)
			if strings.HasPrefix(base, "_") {
				continue
			}
			if base == "NOTES.txt" {
				if c == top {
					notes = &job{full, ctxs[c]}
				}
				continue
			}
			jobs = append(jobs, job{full, ctxs[c]})
		}
	}
	exec := func(j job) string {
		ctx := map[string]interface{}{}
		for k, v := range j.ctx {
			ctx[k] = v
		}
		ctx["Template"] = map[string]interface{}{"Name": j.name, "BasePath": j.ctx["Template"].(map[string]interface{})["BasePath"]}
		var buf bytes.Buffer
		if err := r.t.ExecuteTemplate(&buf, j.name, ctx); err != nil {
			die("%v", err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	var out strings.Builder
	for _, j := range jobs {
		text := exec(j)
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", j.name, strings.TrimLeft(text, "\n"))
	}
	if notes != nil && notesOut != "" {
		if err := os.WriteFile(notesOut, []byte(exec(*notes)), 0o644); err != nil {
			die("%v", err)
		}
	}
	fmt.Print(out.String())
}
