{{/*
Services of the platform: the keys of the `services` map, sorted. Every per-service template
ranges over this, so a service needs nothing but its entry in values (tools/new-service adds it).
*/}}
{{- define "parley.serviceNames" -}}
{{- keys .Values.services | sortAlpha | toJson -}}
{{- end -}}

{{/* Whether this release serves one dedicated tenant. */}}
{{- define "parley.dedicated" -}}
{{- if eq .Values.tenancy.mode "dedicated" -}}true{{- end -}}
{{- end -}}

{{/*
Base name of every object: fullnameOverride, else `parley-<tenantId>` in dedicated mode,
else the release name. Kept to 40 characters so `<base>-<service>-migrate` fits 63.
*/}}
{{- define "parley.fullname" -}}
{{- $name := .Release.Name -}}
{{- if .Values.fullnameOverride -}}
{{- $name = .Values.fullnameOverride -}}
{{- else if include "parley.dedicated" . -}}
{{- $name = printf "parley-%s" (required "tenancy.tenantId is required when tenancy.mode is dedicated" .Values.tenancy.tenantId) -}}
{{- end -}}
{{- $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/*
Names that follow the tenant: in dedicated mode each derives from tenancy.tenantId unless
set explicitly. Returned as JSON: natsPrefix, natsAccount, realm, databasePrefix.
*/}}
{{- define "parley.tenancy" -}}
{{- $v := .Values -}}
{{- $t := dict "natsPrefix" $v.nats.prefix "natsAccount" ($v.nats.account | default "parley") "realm" ($v.keycloak.realm | default "parley") "databasePrefix" ($v.postgresql.databasePrefix | default "parley") -}}
{{- if include "parley.dedicated" . -}}
{{- $id := required "tenancy.tenantId is required when tenancy.mode is dedicated" $v.tenancy.tenantId -}}
{{- $_ := set $t "natsPrefix" ($v.nats.prefix | default (printf "t-%s" $id)) -}}
{{- $_ := set $t "natsAccount" ($v.nats.account | default (printf "tenant-%s" $id)) -}}
{{- $_ := set $t "realm" ($v.keycloak.realm | default (printf "tenant-%s" $id)) -}}
{{- $_ := set $t "databasePrefix" ($v.postgresql.databasePrefix | default (printf "tenant_%s" ($id | replace "-" "_"))) -}}
{{- end -}}
{{- toJson $t -}}
{{- end -}}

{{- define "parley.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels common to every object; `component` names the service or role. ctx: root, component */}}
{{- define "parley.labels" -}}
{{- $root := .root -}}
helm.sh/chart: {{ include "parley.chart" $root }}
{{ include "parley.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: parley
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
{{- if include "parley.dedicated" $root }}
parley.dev/tenant: {{ $root.Values.tenancy.tenantId }}
{{- end }}
{{- with $root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: parley
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
Recursive merge of two maps: keys of `override` win, maps are merged key by key. Unlike
mergeOverwrite it keeps false, 0 and "" from the override (pdb.enabled: false must win).
*/}}
{{- define "parley.deepMerge" -}}
{{- $out := deepCopy .base -}}
{{- range $key, $value := .override -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $out $key)) -}}
{{- $_ := set $out $key (include "parley.deepMerge" (dict "base" (get $out $key) "override" $value) | fromYaml) -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Effective settings of one service: `defaults` overridden by the service's own section.
Also fails (even with --skip-schema-validation) on combinations the schema rejects.
ctx: root, name. Returns YAML.
*/}}
{{- define "parley.serviceValues" -}}
{{- $section := get .root.Values.services .name -}}
{{- $svc := include "parley.deepMerge" (dict "base" .root.Values.defaults "override" $section) | fromYaml -}}
{{- range $key := list "image" "database" "nats" -}}
{{- if not (get $svc $key) }}{{ $_ := set $svc $key dict }}{{ end -}}
{{- end -}}
{{- if and $svc.enabled $svc.pdb.enabled (not $svc.autoscaling.enabled) (eq (int $svc.replicaCount) 0) -}}
{{- fail (printf "%s: replicaCount is 0 while pdb.enabled is true; disable the PDB or run at least one replica" .name) -}}
{{- end -}}
{{- toYaml $svc -}}
{{- end -}}

{{/* Name of a service's objects. ctx: root, name */}}
{{- define "parley.serviceFullname" -}}
{{- printf "%s-%s" (include "parley.fullname" .root) .name -}}
{{- end -}}

{{/* Image reference of a service. ctx: root, name, svc */}}
{{- define "parley.image" -}}
{{- $global := .root.Values.image -}}
{{- $img := .svc.image | default dict -}}
{{- $registry := ternary $img.registry $global.registry (hasKey $img "registry") -}}
{{- $repository := $img.repository | default .name -}}
{{- $tag := $img.tag | default $global.tag | default .root.Chart.AppVersion | toString -}}
{{- $digest := $img.digest | default $global.digest -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "%s: the image tag `latest` is not allowed; pin a version" .name) -}}
{{- end -}}
{{- $ref := $repository -}}
{{- if $registry -}}{{- $ref = printf "%s/%s" (trimSuffix "/" $registry) $repository -}}{{- end -}}
{{- printf "%s:%s" $ref $tag -}}
{{- if $digest -}}@{{ $digest }}{{- end -}}
{{- end -}}

{{- define "parley.imagePullPolicy" -}}
{{- (.svc.image | default dict).pullPolicy | default .root.Values.image.pullPolicy -}}
{{- end -}}

{{/* Database name of a service. ctx: root, name, svc */}}
{{- define "parley.databaseName" -}}
{{- $t := include "parley.tenancy" .root | fromJson -}}
{{- .svc.database.name | default (printf "%s_%s" $t.databasePrefix .name) -}}
{{- end -}}

{{/* Credentials Secret of a service's database. ctx: root, name, svc */}}
{{- define "parley.databaseSecret" -}}
{{- .svc.database.existingSecret | default .root.Values.postgresql.existingSecret | default (printf "%s-db" (include "parley.serviceFullname" .)) -}}
{{- end -}}

{{/* Secret with a service's own internal-token private key. ctx: root, name */}}
{{- define "parley.internalTokenPrivateSecret" -}}
{{- get .root.Values.internalToken.privateKeys.existingSecrets .name | default (printf "%s-%s-internal-token" (include "parley.fullname" .root) .name) -}}
{{- end -}}

{{/* Secret with every service's internal-token public key (a JWKS). */}}
{{- define "parley.internalTokenPublicSecret" -}}
{{- .Values.internalToken.publicKeys.existingSecret | default (printf "%s-internal-token-public" (include "parley.fullname" .)) -}}
{{- end -}}

{{- define "parley.keycloakAdminSecret" -}}
{{- .Values.keycloak.admin.existingSecret | default (printf "%s-keycloak-admin" (include "parley.fullname" .)) -}}
{{- end -}}

{{/* Secret with a service's own NATS user (creds file, or user name and password). ctx: root, name, svc */}}
{{- define "parley.natsSecret" -}}
{{- (.svc.nats | default dict).existingSecret | default (printf "%s-nats" (include "parley.serviceFullname" .)) -}}
{{- end -}}

{{/* gRPC address of a service of this release. ctx: root, name */}}
{{- define "parley.serviceAddress" -}}
{{- $svc := include "parley.serviceValues" . | fromYaml -}}
{{- printf "%s:%v" (include "parley.serviceFullname" .) $svc.ports.grpc -}}
{{- end -}}

{{/* Whether a service talks to Keycloak. */}}
{{- define "parley.usesKeycloak" -}}
{{- if has . (list "gateway" "identity") -}}true{{- end -}}
{{- end -}}

{{/*
Plain settings of a service (its ConfigMap; inlined into the migration Job, which runs
before the ConfigMap exists). ctx: root, name, svc. Returns YAML map of strings.
*/}}
{{- define "parley.configData" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $t := include "parley.tenancy" $root | fromJson -}}
{{- $data := dict
  "LOG_LEVEL" .svc.logLevel
  "GRPC_HOST" "0.0.0.0"
  "GRPC_PORT" (toString .svc.ports.grpc)
  "METRICS_PORT" (toString .svc.ports.metrics)
  "MIGRATIONS" "verify"
  "NATS_URL" $v.nats.url
  "NATS_STREAM_REPLICAS" (toString $v.nats.stream.replicas)
  "NATS_STREAM_MAX_AGE_HOURS" (toString $v.nats.stream.maxAgeHours)
  "NATS_STREAM_MAX_BYTES" (toString (int64 $v.nats.stream.maxBytes))
  "EVENT_MAX_DELIVER" (toString $v.events.maxDeliver)
  "EVENT_BACKOFF_MS" (join "," $v.events.backoffMs)
  "EVENT_CONCURRENCY" (toString $v.events.concurrency)
  "EVENT_ORDER_WAIT_MS" (toString (int64 $v.events.orderWaitMs))
  "OUTBOX_MAX_ATTEMPTS" (toString $v.events.outboxMaxAttempts)
  "DEAD_LETTER_RETENTION_DAYS" (toString $v.events.deadLetterRetentionDays)
  "TENANCY_MODE" $v.tenancy.mode
  "OTEL_SERVICE_NAME" (printf "parley-%s" .name)
  "JOBS_SCHEMA" $v.jobs.schema
-}}
{{- if $t.natsPrefix }}{{ $_ := set $data "NATS_PREFIX" $t.natsPrefix }}{{ end -}}
{{- if and $v.nats.auth.enabled (eq $v.nats.auth.type "creds") }}{{ $_ := set $data "NATS_CREDS_FILE" (printf "/etc/parley/nats/%s" $v.nats.auth.credsKey) }}{{ end -}}
{{- if $v.otel.endpoint }}{{ $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" $v.otel.endpoint }}{{ end -}}
{{- if include "parley.dedicated" $root }}{{ $_ := set $data "TENANT_ID" $v.tenancy.tenantId }}{{ end -}}
{{- if include "parley.usesKeycloak" .name -}}
{{- $_ := set $data "KEYCLOAK_URL" $v.keycloak.url -}}
{{- $_ := set $data "KEYCLOAK_REALM" $t.realm -}}
{{- end -}}
{{- if eq .name "identity" -}}
{{- $_ := set $data "IDENTITY_PROVIDER" "keycloak" -}}
{{- end -}}
{{- range $callee := .svc.calls | default list -}}
{{- if not (hasKey $v.services $callee) -}}
{{- fail (printf "services.%s.calls names %s, which has no entry under services" $.name $callee) -}}
{{- end -}}
{{- $_ := set $data (printf "%s_ADDR" (upper $callee)) (include "parley.serviceAddress" (dict "root" $root "name" $callee)) -}}
{{- end -}}
{{- if eq .name "privacy" -}}
{{- $participants := list -}}
{{- range $p := include "parley.serviceNames" $root | fromJsonArray -}}
{{- $pv := include "parley.serviceValues" (dict "root" $root "name" $p) | fromYaml -}}
{{- if and $pv.enabled $pv.privacyParticipant -}}
{{- $participants = append $participants (printf "%s=%s" $p (include "parley.serviceAddress" (dict "root" $root "name" $p))) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $data "PRIVACY_PARTICIPANTS" (join "," $participants) -}}
{{- $_ := set $data "NOTIFICATIONS" $v.notifications.mode -}}
{{- $_ := set $data "NOTIFICATION_FROM" $v.notifications.from -}}
{{- $_ := set $data "RETENTION_RUN_AT" $v.privacySchedule.retentionRunAt -}}
{{- $_ := set $data "RETENTION_RETRY_DELAY_SECONDS" (toString $v.privacySchedule.retentionRetryDelaySeconds) -}}
{{- $_ := set $data "DEADLINE_SCAN_CRON" $v.privacySchedule.deadlineScanCron -}}
{{- $_ := set $data "VERIFICATION_CODE_TTL_MINUTES" (toString $v.privacyVerification.codeTtlMinutes) -}}
{{- $_ := set $data "PRIVACY_REQUESTS_PER_REQUESTER_PER_DAY" (toString $v.privacyVerification.requestsPerRequesterPerDay) -}}
{{- $_ := set $data "PRIVACY_CODES_PER_SUBJECT_PER_DAY" (toString $v.privacyVerification.codesPerSubjectPerDay) -}}
{{- $_ := set $data "VERIFICATION_ATTEMPTS_PER_DAY" (toString $v.privacyVerification.attemptsPerDay) -}}
{{- end -}}

{{- if eq .name "numbering" -}}
{{- /* The upstream number supplier; without a URL numbering refuses to start, naming NUMBER_SUPPLIER_URL. */ -}}
{{- $_ := set $data "NUMBER_SUPPLIER" .svc.supplier.adapter -}}
{{- if .svc.supplier.url }}{{ $_ := set $data "NUMBER_SUPPLIER_URL" .svc.supplier.url }}{{ end -}}
{{- $_ := set $data "NUMBER_SUPPLIER_TIMEOUT_MS" (toString .svc.supplier.timeoutMs) -}}
{{- $_ := set $data "EXCHANGE_RATES" .svc.exchangeRates -}}
{{- $_ := set $data "RESOLVE_CACHE_TTL_MS" (toString (int64 .svc.resolveCacheTtlMs)) -}}
{{- $_ := set $data "NUMBER_MESSAGING_ROUTE" .svc.routing.messaging -}}
{{- $_ := set $data "NUMBER_VOICE_ROUTE" .svc.routing.voice -}}
{{- end -}}

{{- if eq .name "billing" -}}
{{- $_ := set $data "BILLING_DEFAULT_CURRENCY" .svc.defaultCurrency -}}
{{- $_ := set $data "BILLING_NEW_TENANT_MODE" .svc.newTenantMode -}}
{{- $_ := set $data "INVOICE_GRACE_HOURS" (toString (int .svc.invoiceGraceHours)) -}}
{{- $_ := set $data "BILLING_RETENTION_YEARS" .svc.retentionYears -}}
{{- $_ := set $data "BILLING_RETENTION_DEFAULT_YEARS" (toString (int .svc.retentionDefaultYears)) -}}
{{- $_ := set $data "INVOICE_SELLER_NAME" .svc.invoiceSeller.name -}}
{{- $_ := set $data "INVOICE_SELLER_ADDRESS" .svc.invoiceSeller.address -}}
{{- $_ := set $data "INVOICE_SELLER_TAX_ID" .svc.invoiceSeller.taxId -}}
{{- end -}}

{{- if eq .name "messaging" -}}
{{- /* Webhooks out: retries, the attempt deadline, and whether internal addresses may be posted to. */ -}}
{{- $_ := set $data "WEBHOOK_RETRY_HOURS" (toString .svc.webhooks.retryHours) -}}
{{- $_ := set $data "WEBHOOK_RETRY_BASE_SECONDS" (toString .svc.webhooks.retryBaseSeconds) -}}
{{- $_ := set $data "WEBHOOK_RETRY_MAX_SECONDS" (toString .svc.webhooks.retryMaxSeconds) -}}
{{- $_ := set $data "WEBHOOK_TIMEOUT_MS" (toString (int64 .svc.webhooks.timeoutMs)) -}}
{{- $_ := set $data "WEBHOOK_CONCURRENCY" (toString (int64 .svc.webhooks.concurrency)) -}}
{{- $_ := set $data "WEBHOOK_RETENTION_DAYS" (toString (int64 .svc.webhooks.retentionDays)) -}}
{{- $_ := set $data "WEBHOOK_ALLOW_PRIVATE" (ternary "true" "false" .svc.webhooks.allowPrivate) -}}
{{- /* The carrier's SMSC; without a host messaging refuses to start, naming SMPP_HOST. */ -}}
{{- if .svc.smpp.host }}{{ $_ := set $data "SMPP_HOST" .svc.smpp.host }}{{ end -}}
{{- $_ := set $data "SMPP_PORT" (toString (int64 .svc.smpp.port)) -}}
{{- $_ := set $data "SMPP_SYSTEM_ID" .svc.smpp.systemId -}}
{{- if .svc.smpp.failover.host }}
{{- $_ := set $data "SMPP_FAILOVER_HOST" .svc.smpp.failover.host -}}
{{- $_ := set $data "SMPP_FAILOVER_PORT" (toString (int64 .svc.smpp.failover.port)) -}}
{{- if .svc.smpp.failover.systemId }}{{ $_ := set $data "SMPP_FAILOVER_SYSTEM_ID" .svc.smpp.failover.systemId }}{{ end -}}
{{- end -}}
{{- $_ := set $data "SMPP_WINDOW" (toString (int64 .svc.smpp.window)) -}}
{{- $_ := set $data "SMPP_DELIVER_CONCURRENCY" (toString (int64 .svc.smpp.deliverConcurrency)) -}}
{{- $_ := set $data "SMPP_IN_DOUBT_SECONDS" (toString (int64 .svc.smpp.inDoubtSeconds)) -}}
{{- $_ := set $data "SMPP_ENQUIRE_LINK_SECONDS" (toString (int64 .svc.smpp.enquireLinkSeconds)) -}}
{{- $_ := set $data "SMPP_RESPONSE_TIMEOUT_MS" (toString (int64 .svc.smpp.responseTimeoutMs)) -}}
{{- $_ := set $data "SMPP_RECONNECT_MIN_MS" (toString (int64 .svc.smpp.reconnectMinMs)) -}}
{{- $_ := set $data "SMPP_RECONNECT_MAX_MS" (toString (int64 .svc.smpp.reconnectMaxMs)) -}}
{{- $_ := set $data "CARRIER_CALLBACK_PORT" (toString (int64 .svc.carrierCallbacks.port)) -}}
{{- if .svc.carrierApi.url }}{{ $_ := set $data "CARRIER_API_URL" .svc.carrierApi.url }}{{ end -}}
{{- $_ := set $data "SEND_CONCURRENCY" (toString (int64 .svc.sendConcurrency)) -}}
{{- $_ := set $data "SEND_TENANT_CONCURRENCY" (toString (int64 .svc.sendTenantConcurrency)) -}}
{{- $_ := set $data "SENDER_RATES" .svc.senderRates -}}
{{- $_ := set $data "MESSAGING_HELP_TEXT" .svc.helpText -}}
{{- end -}}

{{- if and (eq .name "billing") .svc.payments -}}
{{- $_ := set $data "PAYMENT_PROCESSOR" .svc.payments.processor -}}
{{- if .svc.payments.url }}{{ $_ := set $data "PAYMENT_PROCESSOR_URL" .svc.payments.url }}{{ end -}}
{{- $_ := set $data "PAYMENT_PROCESSOR_TIMEOUT_MS" (toString (int64 .svc.payments.timeoutMs)) -}}
{{- $_ := set $data "PAYMENT_WEBHOOK_PORT" (toString (int64 .svc.payments.webhookPort)) -}}
{{- end -}}

{{- if eq .name "gateway" -}}
{{- $_ := set $data "PORT" (toString .svc.http.port) -}}
{{- $_ := set $data "HOST" "0.0.0.0" -}}
{{- $_ := set $data "TRUSTED_PROXIES" (join "," (.svc.http.trustedProxies | default list)) -}}
{{- $_ := set $data "RATE_LIMIT_WINDOW_SECONDS" (toString .svc.rateLimits.windowSeconds) -}}
{{- $_ := set $data "RATE_LIMIT_PER_PRINCIPAL" (toString .svc.rateLimits.perPrincipal) -}}
{{- $_ := set $data "RATE_LIMIT_PER_TENANT" (toString .svc.rateLimits.perTenant) -}}
{{- $_ := set $data "RATE_LIMIT_PER_IP" (toString .svc.rateLimits.perIp) -}}
{{- $_ := set $data "RATE_LIMIT_OVERRIDE_CACHE_MS" (toString .svc.rateLimits.overrideCacheMs) -}}
{{- /* While the database is unreachable each replica allows 1/N of a limit (kit SharedRateLimiter). */ -}}
{{- $replicas := ternary .svc.autoscaling.minReplicas .svc.replicaCount .svc.autoscaling.enabled -}}
{{- $_ := set $data "RATE_LIMIT_REPLICAS" (toString (max 1 (int $replicas))) -}}
{{- $_ := set $data "IDEMPOTENCY_LEASE_MS" (toString .svc.idempotency.leaseMs) -}}
{{- end -}}
{{- range $key, $value := .svc.extraConfig -}}
{{- $_ := set $data $key (toString $value) -}}
{{- end -}}
{{- toYaml $data -}}
{{- end -}}

{{/* Environment entries read from Secrets. ctx: root, name, svc */}}
{{- define "parley.secretEnv" -}}
{{- $v := .root.Values -}}
{{- $dbSecret := include "parley.databaseSecret" . -}}
{{- if .svc.database.urlKey }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ $dbSecret }}, key: {{ .svc.database.urlKey }} }
{{- else }}
- name: PGUSER
  valueFrom:
    secretKeyRef: { name: {{ $dbSecret }}, key: {{ $v.postgresql.usernameKey }} }
- name: PGPASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $dbSecret }}, key: {{ $v.postgresql.passwordKey }} }
- name: DATABASE_URL
  value: {{ printf "postgres://$(PGUSER):$(PGPASSWORD)@%s:%v/%s?sslmode=%s" $v.postgresql.host $v.postgresql.port (include "parley.databaseName" .) $v.postgresql.sslMode | quote }}
{{- end }}
- name: INTERNAL_TOKEN_PRIVATE_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "parley.internalTokenPrivateSecret" . }}, key: {{ $v.internalToken.privateKeys.key }} }
- name: INTERNAL_TOKEN_PUBLIC_KEYS
  valueFrom:
    secretKeyRef: { name: {{ include "parley.internalTokenPublicSecret" .root }}, key: {{ $v.internalToken.publicKeys.key }} }
{{- $subjectSecret := $v.subjectHashKey.existingSecret | default (printf "%s-subject-hash-key" (include "parley.fullname" .root)) }}
- name: SUBJECT_HASH_KEY
  valueFrom:
    secretKeyRef: { name: {{ $subjectSecret }}, key: {{ $v.subjectHashKey.key }} }
- name: SUBJECT_HASH_KEYS_PREVIOUS
  valueFrom:
    secretKeyRef: { name: {{ $subjectSecret }}, key: {{ $v.subjectHashKey.previousKey }}, optional: true }
{{- if and $v.nats.auth.enabled (eq $v.nats.auth.type "password") }}
- name: NATS_USER
  valueFrom:
    secretKeyRef: { name: {{ include "parley.natsSecret" . }}, key: {{ $v.nats.auth.usernameKey }} }
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ include "parley.natsSecret" . }}, key: {{ $v.nats.auth.passwordKey }} }
{{- end }}
{{- if eq .name "privacy" }}
- name: PRIVACY_ARCHIVE_KEY
  valueFrom:
    secretKeyRef: { name: {{ $v.privacyArchive.existingSecret | default (printf "%s-privacy-archive" (include "parley.fullname" .root)) }}, key: {{ $v.privacyArchive.key }} }
{{- if eq $v.notifications.mode "smtp" }}
- name: SMTP_URL
  valueFrom:
    secretKeyRef: { name: {{ $v.notifications.smtp.existingSecret | default (printf "%s-smtp" (include "parley.fullname" .root)) }}, key: {{ $v.notifications.smtp.urlKey }} }
{{- end }}
{{- end }}
{{- if eq .name "numbering" }}
- name: NUMBER_SUPPLIER_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ .svc.supplier.existingSecret | default (printf "%s-supplier" (include "parley.serviceFullname" .)) }}, key: {{ .svc.supplier.apiKeyKey }} }
{{- end }}
{{- if eq .name "messaging" }}
- name: SMPP_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ .svc.smpp.existingSecret | default (printf "%s-smpp" (include "parley.serviceFullname" .)) }}, key: {{ .svc.smpp.passwordKey }} }
{{- if and .svc.smpp.failover.host .svc.smpp.failover.passwordKey }}
- name: SMPP_FAILOVER_PASSWORD
  valueFrom:
    secretKeyRef: { name: {{ .svc.smpp.existingSecret | default (printf "%s-smpp" (include "parley.serviceFullname" .)) }}, key: {{ .svc.smpp.failover.passwordKey }} }
{{- end }}
{{- if .svc.carrierApi.url }}
- name: CARRIER_API_KEY
  valueFrom:
    secretKeyRef: { name: {{ .svc.carrierApi.existingSecret | default (printf "%s-carrier-api" (include "parley.serviceFullname" .)) }}, key: {{ .svc.carrierApi.apiKeyKey }} }
{{- end }}
{{- if .svc.carrierCallbacks.secretKey }}
- name: CARRIER_CALLBACK_SECRET
  valueFrom:
    secretKeyRef: { name: {{ .svc.carrierCallbacks.existingSecret | default (printf "%s-carrier-callbacks" (include "parley.serviceFullname" .)) }}, key: {{ .svc.carrierCallbacks.secretKey }} }
{{- end }}
{{- end }}
{{- if and (eq .name "billing") .svc.payments (ne (.svc.payments.processor | default "none") "none") }}
- name: PAYMENT_PROCESSOR_SECRET_KEY
  valueFrom:
    secretKeyRef: { name: {{ .svc.payments.existingSecret | default (printf "%s-payments" (include "parley.serviceFullname" .)) }}, key: {{ .svc.payments.secretKeyKey }} }
- name: PAYMENT_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef: { name: {{ .svc.payments.existingSecret | default (printf "%s-payments" (include "parley.serviceFullname" .)) }}, key: {{ .svc.payments.webhookSecretKey }} }
{{- end }}
{{- if eq .name "identity" }}
- name: API_KEY_PEPPER
  valueFrom:
    secretKeyRef: { name: {{ $v.apiKeyPepper.existingSecret | default (printf "%s-api-key-pepper" (include "parley.fullname" .root)) }}, key: {{ $v.apiKeyPepper.key }} }
- name: KEYCLOAK_ADMIN_CLIENT_ID

  valueFrom:
    secretKeyRef: { name: {{ include "parley.keycloakAdminSecret" .root }}, key: {{ $v.keycloak.admin.clientIdKey }} }
- name: KEYCLOAK_ADMIN_CLIENT_SECRET
  valueFrom:
    secretKeyRef: { name: {{ include "parley.keycloakAdminSecret" .root }}, key: {{ $v.keycloak.admin.clientSecretKey }} }
{{- end }}
{{- with .svc.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every Parley pod mounts: /tmp (read-only root) and the service's NATS creds. ctx: root, name, svc */}}
{{- define "parley.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .svc.tmpSizeLimit }}
{{- if and .root.Values.nats.auth.enabled (eq .root.Values.nats.auth.type "creds") }}
- name: nats-creds
  secret:
    secretName: {{ include "parley.natsSecret" . }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "parley.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if and .root.Values.nats.auth.enabled (eq .root.Values.nats.auth.type "creds") }}
- name: nats-creds
  mountPath: /etc/parley/nats
  readOnly: true
{{- end }}
{{- end -}}

{{- define "parley.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod selector of every enabled Parley service of this release (gRPC peers). */}}
{{- define "parley.servicePeersSelector" -}}
{{- $root := . -}}
{{- $enabled := list -}}
{{- range $name := include "parley.serviceNames" $root | fromJsonArray -}}
{{- if (get $root.Values.services $name).enabled }}{{ $enabled = append $enabled $name }}{{ end -}}
{{- end -}}
matchLabels:
  app.kubernetes.io/name: parley
  app.kubernetes.io/instance: {{ $root.Release.Name }}
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values: {{ toJson $enabled }}
{{- end -}}

{{/* Egress rule to one external dependency. ctx: rule (enabled, to, ports) */}}
{{- define "parley.egressRule" -}}
{{- if .enabled }}
- ports: {{ toJson .ports }}
  {{- with .to }}
  to: {{ toJson . }}
  {{- end }}
{{- end }}
{{- end -}}
