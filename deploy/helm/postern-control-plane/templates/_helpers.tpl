{{- define "postern-cp.fullname" -}}
{{- printf "%s-postern-control-plane" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "postern-cp.selector" -}}
app.kubernetes.io/name: postern-control-plane
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "postern-cp.labels" -}}
{{ include "postern-cp.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "postern-cp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "postern-cp.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "postern-cp.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "postern-cp.secretEnv" -}}
{{- $root := index . 0 -}}
{{- $var := index . 1 -}}
{{- $key := index . 2 -}}
{{- if $key }}
- name: {{ $var }}
  valueFrom: { secretKeyRef: { name: {{ $root.Values.secrets.name }}, key: {{ $key }} } }
{{- end }}
{{- end -}}

{{/* What both the server and the migration job need to reach the database. */}}
{{- define "postern-cp.databaseEnv" -}}
{{- include "postern-cp.secretEnv" (list . "POSTERN_DATABASE_URL" .Values.secrets.databaseUrlKey) }}
{{- include "postern-cp.secretEnv" (list . "POSTERN_REDIS_URL" .Values.secrets.redisUrlKey) }}
{{- include "postern-cp.secretEnv" (list . "POSTERN_BOOTSTRAP_ADMIN_TOKEN" .Values.secrets.bootstrapAdminTokenKey) }}
- { name: POSTERN_LOG_LEVEL, value: {{ .Values.logLevel | quote }} }
{{- end -}}

{{- define "postern-cp.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "postern-cp.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile: { type: RuntimeDefault }
{{- end -}}
