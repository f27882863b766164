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

{{/* The operator's ServiceAccount: the chart's (create true), or the installer's, which must then be named. */}}
{{- define "workspace-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "workspace-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false: the name of the existing ServiceAccount the operator runs as (in the release's namespace)" .Values.serviceAccount.name }}
{{- end }}
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

{{- /*
workspace-operator.apiServerEgress: egress rules (YAML list) to the Kubernetes API server. Takes a dict with
"rules" (the user's rules; used as given when set), "what" (the value to name in messages), "orElse" (more
advice for the message) and "fallback"
(true: when nothing can be looked up, allow TCP 443 and 6443 to any address; false: fail). Otherwise the
addresses and ports of the default/kubernetes EndpointSlice, looked up at install: a NetworkPolicy sees the
endpoint behind the kubernetes Service, not the Service address. Nothing can be looked up by helm template,
helm lint or Argo CD.
*/}}
{{- define "workspace-operator.apiServerEgress" -}}
{{- $rules := .rules }}
{{- if not $rules }}
{{- $slice := lookup "discovery.k8s.io/v1" "EndpointSlice" "default" "kubernetes" }}
{{- $to := list }}
{{- $ports := list }}
{{- range ($slice.endpoints | default list) }}
{{- range .addresses }}
{{- $to = append $to (dict "ipBlock" (dict "cidr" (printf "%s/%s" . (ternary "128" "32" (contains ":" .))))) }}
{{- end }}
{{- end }}
{{- range ($slice.ports | default list) }}
{{- $ports = append $ports (dict "protocol" "TCP" "port" .port) }}
{{- end }}
{{- if and $to $ports }}
{{- $rules = list (dict "to" $to "ports" $ports) }}
{{- else if .fallback }}
{{- $rules = list (dict "ports" (list (dict "protocol" "TCP" "port" 443) (dict "protocol" "TCP" "port" 6443))) }}
{{- else }}
{{- fail (printf "%s is empty and the API server's addresses cannot be looked up (helm template, or no access to the EndpointSlice default/kubernetes): set it to egress rules for the addresses and port of `kubectl get endpointslice -n default kubernetes`%s" .what (.orElse | default "")) }}
{{- end }}
{{- end }}
{{- toYaml $rules }}
{{- end }}

{{- /* workspace-operator.apiServerLookedUp: "true" when the default/kubernetes EndpointSlice can be read. */}}
{{- define "workspace-operator.apiServerLookedUp" -}}
{{- $slice := lookup "discovery.k8s.io/v1" "EndpointSlice" "default" "kubernetes" }}
{{- if and $slice $slice.endpoints }}true{{ end }}
{{- end }}
