{{- define "girok-operator.labels" -}}
app.kubernetes.io/name: girok-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}
{{- define "girok-operator.selector" -}}
app.kubernetes.io/name: girok-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
