{{/*
_helpers.tpl - names, labels, and the dbready container and volumes, shared by the Job and by
the templates a parent chart includes into its own Deployment:

  initContainers:
    {{- include "dbready.initContainer" .Subcharts.dbready | nindent 8 }}   (or "dbready.sidecar")
  volumes:
    {{- include "dbready.volumes" .Subcharts.dbready | nindent 8 }}

Each takes this chart's context (.Values, .Chart, .Release, .Files).
*/}}

{{- define "dbready.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "dbready.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "dbready.selectorLabels" -}}
app.kubernetes.io/name: {{ include "dbready.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "dbready.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "dbready.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* repository:tag, or repository:tag@digest; the tag defaults to the appVersion */}}
{{- define "dbready.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* the migrations ConfigMap's data (YAML), from migrations.files and migrations.chartDir */}}
{{- define "dbready.migrationsData" -}}
{{- $data := dict }}
{{- range $name, $content := .Values.migrations.files }}
{{- if not (regexMatch "^[-._a-zA-Z0-9]+$" $name) }}
{{- fail (printf "migrations.files: %q is not a ConfigMap key: use the file name (drizzle's meta/_journal.json is the key _journal.json)" $name) }}
{{- end }}
{{- $_ := set $data $name $content }}
{{- end }}
{{- with .Values.migrations.chartDir }}
{{- $dir := trimSuffix "/" . }}
{{- range $path, $_ := $.Files.Glob (printf "%s/*.sql" $dir) }}
{{- $_ := set $data (base $path) ($.Files.Get $path) }}
{{- end }}
{{- $journal := $.Files.Get (printf "%s/meta/_journal.json" $dir) }}
{{- if $journal }}
{{- $_ := set $data "_journal.json" $journal }}
{{- end }}
{{- if not $data }}
{{- fail (printf "migrations.chartDir: no *.sql file in %q inside the chart" $dir) }}
{{- end }}
{{- end }}
{{- if $data }}
{{- toYaml $data }}
{{- end }}
{{- end }}

{{/* exactly one source of migrations; prints "configmap", "existing" or "image" */}}
{{- define "dbready.migrationsSource" -}}
{{- $m := .Values.migrations }}
{{- $sources := list }}
{{- if or $m.files $m.chartDir }}{{ $sources = append $sources "configmap" }}{{ end }}
{{- if $m.existingConfigMap }}{{ $sources = append $sources "existing" }}{{ end }}
{{- if $m.image.reference }}{{ $sources = append $sources "image" }}{{ end }}
{{- if ne (len $sources) 1 }}
{{- fail "set exactly one source of migrations: migrations.files and/or migrations.chartDir, migrations.existingConfigMap, or migrations.image.reference" }}
{{- end }}
{{- first $sources }}
{{- end }}

{{/* the name of the ConfigMap the pods mount (not for an image volume) */}}
{{- define "dbready.migrationsConfigMap" -}}
{{- if .Values.migrations.existingConfigMap }}
{{- .Values.migrations.existingConfigMap }}
{{- else }}
{{- printf "%s-migrations" (include "dbready.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* the Job runs as a hook (Helm or Argo CD): its ConfigMap must be a hook too */}}
{{- define "dbready.jobIsHook" -}}
{{- if and .Values.job.enabled (or .Values.job.helmHook .Values.job.argocdHook) }}true{{ end }}
{{- end }}

{{/* hook annotations for a resource of weight W: (dict "root" . "weight" W) */}}
{{- define "dbready.hookAnnotations" -}}
{{- $job := .root.Values.job }}
{{- if $job.helmHook }}
helm.sh/hook: pre-install,pre-upgrade
helm.sh/hook-weight: {{ .weight | quote }}
helm.sh/hook-delete-policy: {{ $job.hookDeletePolicy }}
{{- end }}
{{- if $job.argocdHook }}
argocd.argoproj.io/hook: PreSync
argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded
argocd.argoproj.io/sync-wave: {{ .weight | quote }}
{{- end }}
{{- end }}

{{/* dbready's environment: the URL, the folder, the options that are set */}}
{{- define "dbready.env" -}}
{{- if .Values.databaseUrl.asFile }}
- name: DATABASE_URL_FILE
  value: /run/secrets/dbready/database_url
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "databaseUrl.secretName: name the existing Secret that holds DATABASE_URL" .Values.databaseUrl.secretName }}
      key: {{ .Values.databaseUrl.secretKey }}
{{- end }}
{{- $dir := .Values.migrations.mountPath }}
{{- if and .Values.migrations.image.reference .Values.migrations.image.path }}
{{- $dir = printf "%s/%s" (trimSuffix "/" $dir) (trimPrefix "/" .Values.migrations.image.path) }}
{{- end }}
- name: DBREADY_DIR
  value: {{ $dir | quote }}
{{- with .Values.notifyUrl.secretName }}
{{- if $.Values.notifyUrl.asFile }}
- name: DBREADY_NOTIFY_URL_FILE
  value: /run/secrets/dbready-notify/url
{{- else }}
- name: DBREADY_NOTIFY_URL
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.notifyUrl.secretKey }}
{{- end }}
{{- end }}
{{- with .Values.config.waitFor }}
- name: DBREADY_WAIT_FOR
  value: {{ join "," . | quote }}
{{- end }}
{{- $options := dict "auth" "DBREADY_AUTH" "httpCaFile" "DBREADY_HTTP_CA_FILE" "notifyFormat" "DBREADY_NOTIFY_FORMAT" "notifyRequired" "DBREADY_NOTIFY_REQUIRED" "format" "DBREADY_FORMAT" "timeout" "DBREADY_TIMEOUT" "backoffBase" "DBREADY_BACKOFF_BASE" "backoffCap" "DBREADY_BACKOFF_CAP" "connectTimeout" "DBREADY_CONNECT_TIMEOUT" "lockTimeout" "DBREADY_LOCK_TIMEOUT" "statementTimeout" "DBREADY_STATEMENT_TIMEOUT" "tx" "DBREADY_TX" "historyTable" "DBREADY_HISTORY_TABLE" "allowOutOfOrder" "DBREADY_ALLOW_OUT_OF_ORDER" "dropInvalidIndexes" "DBREADY_DROP_INVALID_INDEXES" "baseline" "DBREADY_BASELINE" "dryRun" "DBREADY_DRY_RUN" "logFormat" "DBREADY_LOG_FORMAT" "logLevel" "DBREADY_LOG_LEVEL" "terminationLog" "DBREADY_TERMINATION_LOG" }}
{{- range $key, $env := $options }}
{{- with index $.Values.config $key }}
- name: {{ $env }}
  value: {{ . | toString | quote }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* one dbready container: (dict "root" . "args" LIST ["restartPolicy" "Always"] ["probe" true]) */}}
{{- define "dbready.container" -}}
{{- $v := .root.Values -}}
- name: dbready
  image: {{ include "dbready.image" .root | quote }}
  imagePullPolicy: {{ $v.image.pullPolicy }}
  args: {{ toJson .args }}
  {{- with get . "restartPolicy" }}
  restartPolicy: {{ . }}
  {{- end }}
  env:
    {{- include "dbready.env" .root | trim | nindent 4 }}
  {{- with $v.extraEnvFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if get . "probe" }}
  startupProbe:
    exec:
      command: ["/dbready", "probe"]
    {{- toYaml $v.sidecar.startupProbe | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: dbready-migrations
      mountPath: {{ $v.migrations.mountPath }}
      readOnly: true
    {{- if $v.databaseUrl.asFile }}
    - name: dbready-database-url
      mountPath: /run/secrets/dbready
      readOnly: true
    {{- end }}
    {{- if and $v.notifyUrl.secretName $v.notifyUrl.asFile }}
    - name: dbready-notify-url
      mountPath: /run/secrets/dbready-notify
      readOnly: true
    {{- end }}
    {{- with $v.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  terminationMessagePolicy: FallbackToLogsOnError
  {{- with $v.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $v.securityContext | nindent 4 }}
{{- end }}

{{/* the pod volumes: (dict "root" . "configMap" NAME) */}}
{{- define "dbready.volumesFor" -}}
{{- $v := .root.Values -}}
- name: dbready-migrations
{{- if eq (include "dbready.migrationsSource" .root) "image" }}
  image:
    reference: {{ $v.migrations.image.reference | quote }}
    pullPolicy: {{ $v.migrations.image.pullPolicy }}
{{- else }}
  projected:
    sources:
      - configMap:
          name: {{ .configMap }}
      - configMap:
          name: {{ .configMap }}
          optional: true
          items:
            - key: _journal.json
              path: meta/_journal.json
{{- end }}
{{- if $v.databaseUrl.asFile }}
- name: dbready-database-url
  secret:
    secretName: {{ required "databaseUrl.secretName: name the existing Secret that holds DATABASE_URL" $v.databaseUrl.secretName }}
    defaultMode: 288
    items:
      - key: {{ $v.databaseUrl.secretKey }}
        path: database_url
{{- end }}
{{- if and $v.notifyUrl.secretName $v.notifyUrl.asFile }}
- name: dbready-notify-url
  secret:
    secretName: {{ $v.notifyUrl.secretName }}
    defaultMode: 288
    items:
      - key: {{ $v.notifyUrl.secretKey }}
        path: url
{{- end }}
{{- with $v.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* --- the templates a parent chart includes into its own Deployment --- */}}

{{- define "dbready.initContainer" -}}
{{- $args := .Values.initContainer.args }}
{{- if not $args }}
{{- $args = ternary (list "await" "--timeout" "10m") (list "run") .Values.job.enabled }}
{{- end }}
{{- include "dbready.container" (dict "root" . "args" $args) }}
{{- end }}

{{- define "dbready.sidecar" -}}
{{- include "dbready.container" (dict "root" . "args" (list "run" "--stay") "restartPolicy" "Always" "probe" true) }}
{{- end }}

{{/* a pod annotation value that changes with the migrations: new migrations roll the pods */}}
{{- define "dbready.checksum" -}}
{{- printf "%s|%s|%s" (include "dbready.migrationsData" .) .Values.migrations.existingConfigMap .Values.migrations.image.reference | sha256sum }}
{{- end }}

{{- define "dbready.volumes" -}}
{{- include "dbready.volumesFor" (dict "root" . "configMap" (include "dbready.migrationsConfigMap" .)) }}
{{- end }}
