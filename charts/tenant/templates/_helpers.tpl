{{- define "tenant.id" -}}
{{- required "tenantId is required (lowercase letters, digits, '-')" .Values.tenantId -}}
{{- end -}}

{{/* The tenant's namespace, `tenant-<id>`: the same name charts/parley's runbook installs into. */}}
{{- define "tenant.namespace" -}}
{{- printf "tenant-%s" (include "tenant.id" .) -}}
{{- end -}}

{{- define "tenant.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: tenant
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: parley
app.kubernetes.io/managed-by: {{ .Release.Service }}
parley.dev/tenant: {{ include "tenant.id" . }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Secrets the tenant's dedicated Parley release reads (names only). Returns a JSON list. */}}
{{- define "tenant.secretNames" -}}
{{- $id := include "tenant.id" . -}}
{{- if .Values.secrets.names -}}
{{- toJson .Values.secrets.names -}}
{{- else -}}
{{- $names := list -}}
{{- range $svc := .Values.services -}}
{{- $names = append $names (printf "parley-%s-%s-db" $id $svc) -}}
{{- $names = append $names (printf "parley-%s-%s-nats" $id $svc) -}}
{{- $names = append $names (printf "parley-%s-%s-internal-token" $id $svc) -}}
{{- end -}}
{{- $names = concat $names (list (printf "parley-%s-internal-token-public" $id) (printf "parley-%s-api-key-pepper" $id) (printf "parley-%s-subject-hash-key" $id) (printf "parley-%s-keycloak-admin" $id) (printf "parley-%s-privacy-archive" $id) (printf "parley-%s-smtp" $id)) -}}
{{- if has "numbering" .Values.services }}{{ $names = append $names (printf "parley-%s-numbering-supplier" $id) }}{{ end -}}
{{- if has "messaging" .Values.services }}{{ $names = append $names (printf "parley-%s-messaging-smpp" $id) }}{{ end -}}
{{- toJson $names -}}
{{- end -}}
{{- end -}}

{{- define "tenant.egressRule" -}}
{{- if .enabled }}
- ports: {{ toJson .ports }}
  {{- with .to }}
  to: {{ toJson . }}
  {{- end }}
{{- end }}
{{- end -}}
