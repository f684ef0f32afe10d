{{- define "zhurnal.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "zhurnal.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "zhurnal.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "zhurnal.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "zhurnal.selectorLabels" (list . "web") */}}
{{- define "zhurnal.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "zhurnal.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "zhurnal.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "zhurnal.secretName" -}}
{{- if .Values.secret.existingSecret -}}
{{- .Values.secret.existingSecret -}}
{{- else if .Values.secret.create -}}
{{- printf "%s-secret" (include "zhurnal.fullname" .) -}}
{{- else -}}
{{- fail "Set secret.existingSecret (a Secret with SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL…) or secret.create=true" -}}
{{- end -}}
{{- end -}}

{{/* The non-secret environment, as YAML key: "value" lines (ConfigMap data). */}}
{{- define "zhurnal.configData" -}}
{{- $hosts := concat (list .Values.host) .Values.extraAllowedHosts -}}
ALLOWED_HOSTS: {{ join "," $hosts | quote }}
CSRF_TRUSTED_ORIGINS: {{ printf "https://%s" (join ",https://" $hosts) | quote }}
ZHURNAL_VAR_DIR: "/app/var"
{{- range $key, $value := .Values.config }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Container environment shared by every pod of the release. */}}
{{- define "zhurnal.env" -}}
- name: PYTHONPATH
  value: /app:/app/platform:/app/schools
- name: DJANGO_SETTINGS_MODULE
  value: config.settings
{{- end -}}

{{- define "zhurnal.envFrom" -}}
- configMapRef:
    name: {{ include "zhurnal.fullname" . }}-config
- secretRef:
    name: {{ include "zhurnal.secretName" . }}
{{- end -}}

{{- define "zhurnal.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: media
  mountPath: /app/var/media
{{- end -}}

{{- define "zhurnal.volumes" -}}
- name: tmp
  emptyDir: {}
- name: media
{{- if .Values.media.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.media.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by the deployments and the job. */}}
{{- define "zhurnal.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  {{- include "zhurnal.volumes" . | nindent 2 }}
{{- end -}}

{{/* Probes send the public Host (ALLOWED_HOSTS) and say the request came over https
     (BEHIND_PROXY), so Django neither rejects the host nor redirects to https. */}}
{{- define "zhurnal.probeHeaders" -}}
httpHeaders:
  - name: Host
    value: {{ .Values.host | quote }}
  - name: X-Forwarded-Proto
    value: https
{{- end -}}
