{{- define "postern-agent.fullname" -}}
{{- printf "%s-postern-agent" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "postern-agent.selector" -}}
app.kubernetes.io/name: postern-agent
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "postern-agent.labels" -}}
{{ include "postern-agent.selector" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}
