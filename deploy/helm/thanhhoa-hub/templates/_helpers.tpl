{{/* Names, labels and the HUB_* environment shared by every hub container. */}}

{{- define "hub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hub.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "hub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hub.labels" -}}
helm.sh/chart: {{ include "hub.chart" . }}
app.kubernetes.io/name: {{ include "hub.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: thanhhoa-hub
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "api") */}}
{{- define "hub.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hub.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "hub.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "hub.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hub.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hub.kafkaSecretName" -}}
{{- default (printf "%s-kafka" (include "hub.fullname" .)) .Values.kafka.sasl.existingSecret -}}
{{- end -}}

{{- define "hub.kafkaTlsSecretName" -}}
{{- default (printf "%s-kafka-tls" (include "hub.fullname" .)) .Values.kafka.tls.existingSecret -}}
{{- end -}}

{{- define "hub.signingSecretName" -}}
{{- default (printf "%s-signing" (include "hub.fullname" .)) .Values.hub.signingKey.existingSecret -}}
{{- end -}}

{{- define "hub.apiSecretName" -}}
{{- default (printf "%s-api" (include "hub.fullname" .)) .Values.api.credentials.existingSecret -}}
{{- end -}}

{{- define "hub.saslEnabled" -}}
{{- if hasPrefix "SASL_" .Values.kafka.securityProtocol -}}true{{- end -}}
{{- end -}}

{{/* Checks that fail the render instead of producing a hub that cannot work. */}}
{{- define "hub.validate" -}}
{{- $v := .Values -}}
{{- $_ := required "kafka.bootstrap (HUB_KAFKA_BOOTSTRAP) is required" $v.kafka.bootstrap -}}
{{- $protocols := list "PLAINTEXT" "SSL" "SASL_PLAINTEXT" "SASL_SSL" -}}
{{- if not (has $v.kafka.securityProtocol $protocols) -}}
{{- fail (printf "kafka.securityProtocol must be one of %v" $protocols) -}}
{{- end -}}
{{- if and (include "hub.saslEnabled" .) (not $v.kafka.sasl.mechanism) -}}
{{- fail "kafka.sasl.mechanism is required with a SASL_* security protocol" -}}
{{- end -}}
{{- if and (hasSuffix "SSL" $v.kafka.securityProtocol) (not $v.kafka.tls.enabled) -}}
{{- fail "kafka.tls.enabled must be true with an SSL or SASL_SSL security protocol" -}}
{{- end -}}
{{- $partitions := int $v.streams.partitions -}}
{{- if gt (int $v.workers.replicas) $partitions -}}
{{- fail (printf "workers.replicas (%d) must be <= streams.partitions (%d): extra workers would own no partition" (int $v.workers.replicas) $partitions) -}}
{{- end -}}
{{- if and $v.workers.autoscaling.enabled (gt (int $v.workers.autoscaling.maxReplicas) $partitions) -}}
{{- fail (printf "workers.autoscaling.maxReplicas (%d) must be <= streams.partitions (%d)" (int $v.workers.autoscaling.maxReplicas) $partitions) -}}
{{- end -}}
{{- end -}}

{{/* The HUB_* environment of every hub container: (dict "root" $ "role" "api") */}}
{{- define "hub.env" -}}
{{- $v := .root.Values -}}
- name: HUB_KAFKA_CLIENT_ID
  value: {{ printf "%s-%s" $v.kafka.clientId .role | quote }}
{{- if include "hub.saslEnabled" .root }}
- name: HUB_KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef: {name: {{ include "hub.kafkaSecretName" .root }}, key: username}
- name: HUB_KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "hub.kafkaSecretName" .root }}, key: password}
{{- end }}
{{- if $v.hub.signingKey.enabled }}
- name: HUB_SIGNING_KEY_FILE
  value: /etc/thanhhoa-hub/signing/signing-key.pem
- name: HUB_SIGNING_KEY_PASSPHRASE
  valueFrom:
    secretKeyRef: {name: {{ include "hub.signingSecretName" .root }}, key: signing-key-passphrase}
{{- end }}
{{- with $v.hub.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* envFrom of every hub container: the non-secret settings ConfigMap. */}}
{{- define "hub.envFrom" -}}
- configMapRef:
    name: {{ include "hub.fullname" . }}-env
{{- end -}}

{{/* Volumes every hub pod mounts: /tmp, the Kafka TLS files, the hub signing key. */}}
{{- define "hub.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- if .Values.kafka.tls.enabled }}
- name: kafka-tls
  secret:
    secretName: {{ include "hub.kafkaTlsSecretName" . }}
    defaultMode: 0440
{{- end }}
{{- if .Values.hub.signingKey.enabled }}
- name: signing-key
  secret:
    secretName: {{ include "hub.signingSecretName" . }}
    defaultMode: 0440
    items:
      - {key: signing-key.pem, path: signing-key.pem}
{{- end }}
{{- end -}}

{{- define "hub.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.kafka.tls.enabled }}
- name: kafka-tls
  mountPath: /etc/thanhhoa-hub/kafka
  readOnly: true
{{- end }}
{{- if .Values.hub.signingKey.enabled }}
- name: signing-key
  mountPath: /etc/thanhhoa-hub/signing
  readOnly: true
{{- end }}
{{- end -}}

{{/* Checksums that roll the pods when configuration they read at start changes. */}}
{{- define "hub.configChecksums" -}}
checksum/env: {{ include (print .Template.BasePath "/configmap-env.yaml") . | sha256sum }}
checksum/secrets: {{ (list .Values.kafka .Values.hub.signingKey .Values.api.credentials) | toJson | sha256sum }}
{{- end -}}
