#!/usr/bin/env bash
# Installs the tools the chart tests need, without a cluster and without network
# access beyond the package registries:
#   helm        built from source through the Go module proxy
#   kubeconform built from source through the Go module proxy
#   Kubernetes JSON schemas for kubeconform, converted offline from the OpenAPI
#   spec that ships inside the k8s.io/kubernetes Go module (kubeconform's default
#   schema location is not reachable here).
# Everything lands in a cache outside the repo and is skipped when already there at
# the right version, so running this twice is cheap.
set -euo pipefail

HELM_VERSION="v3.21.4"
KUBECONFORM_VERSION="v0.7.0"
# The Kubernetes release whose API the rendered manifests are validated against
# (tests/charts passes the same version to helm and kubeconform).
KUBERNETES_VERSION="${PARLEY_KUBERNETES_VERSION:-v1.33.4}"
# Bump when convert_openapi below changes, so cached schemas are rebuilt.
SCHEMA_CONVERTER_REVISION=1

TOOLS_DIR="${PARLEY_TOOLS_DIR:-$HOME/.cache/parley/bin}"
SCHEMA_DIR="${PARLEY_K8S_SCHEMA_DIR:-$(dirname "$TOOLS_DIR")/k8s-schemas}"

log() { printf 'install-k8s-tools: %s\n' "$*" >&2; }

# The Go toolchain's usual place, in case this shell's PATH lacks it.
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then PATH="/usr/local/go/bin:$PATH"; fi
command -v go >/dev/null || { log "go is required (used to build helm and kubeconform)"; exit 1; }
command -v node >/dev/null || { log "node is required (used to convert the OpenAPI spec)"; exit 1; }
mkdir -p "$TOOLS_DIR" "$SCHEMA_DIR"

# Version of an installed binary, from the Go build info embedded in it.
module_version() {
  local bin="$1"
  [[ -x "$bin" ]] || return 0
  go version -m "$bin" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# helm reports its own version and default Kubernetes version from link-time variables
# that its Makefile sets; a plain `go install` leaves them at placeholders (v3.21,
# Kubernetes v1.20), so set them the same way. helm v3.21 is built on client-go v0.36.
HELM_LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  HELM_LDFLAGS+=" -X ${pkg}.k8sVersionMajor=1 -X ${pkg}.k8sVersionMinor=36"
done

helm_version() {
  [[ -x "$TOOLS_DIR/helm" ]] || return 0
  "$TOOLS_DIR/helm" version --template '{{.Version}}' 2>/dev/null || true
}

if [[ "$(helm_version)" == "$HELM_VERSION" ]]; then
  log "helm $HELM_VERSION already in $TOOLS_DIR"
else
  log "building helm $HELM_VERSION into $TOOLS_DIR (was: $(helm_version || true))"
  CGO_ENABLED=0 GOBIN="$TOOLS_DIR" go install -trimpath -ldflags "$HELM_LDFLAGS" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

if [[ "$(module_version "$TOOLS_DIR/kubeconform")" == "$KUBECONFORM_VERSION" ]]; then
  log "kubeconform $KUBECONFORM_VERSION already in $TOOLS_DIR"
else
  log "building kubeconform $KUBECONFORM_VERSION into $TOOLS_DIR"
  CGO_ENABLED=0 GOBIN="$TOOLS_DIR" go install -trimpath -ldflags "-s -w" "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
fi

# Converts a Kubernetes OpenAPI v2 spec into kubeconform's "standalone-strict" layout:
# one self-contained JSON schema per kind, named <kind>[-<group>]-<version>.json, with
# every $ref inlined, additionalProperties false on every object that lists its
# properties (so a misspelt key fails), and optional fields allowed to be null (as
# the API server accepts them).
convert_openapi() {
  node --input-type=module - "$1" "$2" <<'JS'
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [specPath, outDir] = process.argv.slice(2);
const definitions = JSON.parse(readFileSync(specPath, 'utf8')).definitions;

const special = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

function allowNull(schema) {
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  if (Array.isArray(schema.oneOf)) return { ...schema, oneOf: [...schema.oneOf, { type: 'null' }] };
  return schema;
}

function expand(schema, trail) {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/definitions/', '');
    if (special[name]) return special[name];
    // A recursive type (JSONSchemaProps) cannot be inlined: accept anything below it.
    if (trail.includes(name)) return {};
    return expand(definitions[name], [...trail, name]);
  }
  const out = {};
  if (schema.type) out.type = schema.type;
  if (schema.enum) out.enum = schema.enum;
  if (schema.format === 'int-or-string') return special['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
  if (schema.items) out.items = expand(schema.items, trail);
  if (schema.properties) {
    const required = new Set(schema.required ?? []);
    out.properties = {};
    for (const [key, value] of Object.entries(schema.properties)) {
      const expanded = expand(value, trail);
      out.properties[key] = required.has(key) ? expanded : allowNull(expanded);
    }
    if (schema.required) out.required = schema.required;
  }
  if (typeof schema.additionalProperties === 'object') {
    out.additionalProperties = expand(schema.additionalProperties, trail);
  } else if (schema.additionalProperties !== undefined) {
    out.additionalProperties = schema.additionalProperties;
  } else if (schema.properties) {
    out.additionalProperties = false;
  }
  return out;
}

mkdirSync(outDir, { recursive: true });
let written = 0;
for (const [name, definition] of Object.entries(definitions)) {
  for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
    const group = gvk.group ? `-${gvk.group.split('.')[0]}` : '';
    const file = `${gvk.kind}${group}-${gvk.version}.json`.toLowerCase();
    const schema = { $schema: 'http://json-schema.org/schema#', ...expand(definition, [name]) };
    writeFileSync(join(outDir, file), JSON.stringify(schema));
    written += 1;
  }
}
if (written < 100) {
  console.error(`only ${written} schemas written from ${specPath}: not a Kubernetes OpenAPI spec?`);
  process.exit(1);
}
console.error(`install-k8s-tools: wrote ${written} schemas to ${outDir}`);
JS
}


# --- Kubernetes JSON schemas -------------------------------------------------------
schema_out="$SCHEMA_DIR/${KUBERNETES_VERSION}-standalone-strict"
if [[ "$(cat "$schema_out/.complete" 2>/dev/null)" == "$SCHEMA_CONVERTER_REVISION" ]]; then
  log "Kubernetes $KUBERNETES_VERSION schemas already in $schema_out"
else
  log "fetching the Kubernetes $KUBERNETES_VERSION OpenAPI spec through the Go module proxy"
  module_dir="$(cd "$SCHEMA_DIR" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);if(j.Error){console.error(j.Error);process.exit(1)}process.stdout.write(j.Dir)})')"
  spec="$module_dir/api/openapi-spec/swagger.json"
  [[ -f "$spec" ]] || { log "no OpenAPI spec at $spec"; exit 1; }
  rm -rf "$schema_out.tmp"
  convert_openapi "$spec" "$schema_out.tmp"
  rm -rf "$schema_out"
  mv "$schema_out.tmp" "$schema_out"
  echo "$SCHEMA_CONVERTER_REVISION" > "$schema_out/.complete"
fi

log "ok: helm $(helm_version), kubeconform $(module_version "$TOOLS_DIR/kubeconform"), schemas $schema_out"
