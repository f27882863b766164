{{/* The chart's name. */}}
{{- define "workspace-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: the release name when it already contains the chart's name. */}}
{{- define "workspace-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "workspace-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "workspace-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "workspace-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "workspace-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "workspace-operator.serviceAccountName" -}}
{{- default (include "workspace-operator.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* The user name the operator's requests carry: the admission policies allow exactly this one. */}}
{{- define "workspace-operator.operatorUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "workspace-operator.serviceAccountName" .) }}
{{- end }}

{{- define "workspace-operator.esoUser" -}}
{{- with .Values.admission.externalSecretsServiceAccount }}
{{- printf "system:serviceaccount:%s:%s" (required "admission.externalSecretsServiceAccount.namespace is required" .namespace) (required "admission.externalSecretsServiceAccount.name is required" .name) }}
{{- end }}
{{- end }}

{{/* The name of every tenant's SecretStore, as the operator's configuration sets it. */}}
{{- define "workspace-operator.secretStoreName" -}}
{{- $name := "tenant-secrets" }}
{{- with .Values.config.secretStore }}{{ with .name }}{{ $name = . }}{{ end }}{{ end }}
{{- $name }}
{{- end }}

{{- define "workspace-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The webhook receiver's name: its Deployment, Service, ServiceAccount, ClusterRole and NetworkPolicy. */}}
{{- define "workspace-operator.webhookName" -}}
{{- printf "%s-webhook" (include "workspace-operator.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The receiver's Pods carry their own app.kubernetes.io/name, so that neither the operator's Deployment selector
nor its metrics Service (name and instance) selects them.
*/}}
{{- define "workspace-operator.webhookSelectorLabels" -}}
app.kubernetes.io/name: {{ printf "%s-webhook" (include "workspace-operator.name" .) | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end }}

{{- define "workspace-operator.webhookLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "workspace-operator.webhookSelectorLabels" . }}
app.kubernetes.io/part-of: {{ include "workspace-operator.name" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
