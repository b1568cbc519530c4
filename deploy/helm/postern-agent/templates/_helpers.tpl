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
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | quote }}
{{- end -}}

{{- define "postern-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "postern-agent.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "postern-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The enabled listeners, as "protocol=port" lines, sorted by protocol. */}}
{{- define "postern-agent.listenerPorts" -}}
{{- range $protocol, $listen := .Values.listeners }}
{{- if $listen }}
{{ $protocol }}={{ splitList ":" $listen | last }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "postern-agent.enrollmentSecret" -}}
{{- if .Values.enrollment.existingSecret -}}
{{- .Values.enrollment.existingSecret -}}
{{- else -}}
{{- printf "%s-enrollment" (include "postern-agent.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security Standard, for the agent and for test pods. */}}
{{- define "postern-agent.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end -}}
