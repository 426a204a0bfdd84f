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
{{- /* By digest when one is given (what CI and the end-to-end suite pin), else by tag. */ -}}
{{- define "girok-operator.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}
