#!/usr/bin/env bash
# Checks of the Helm chart with the real helm: lint, render with the default and the
# production values, validate every rendered object against the Kubernetes OpenAPI schemas
# (offline, from the kubernetes-validate package) for the oldest and the newest supported
# Kubernetes, then check what only the hub knows (check_rendered.py). Then the alert rules
# with promtool: syntax, unit tests (deploy/grafana/alerts-test.yaml), dashboard queries.
#
# helm and promtool are built from source through the Go module proxy the first time and
# cached in ~/.cache/thanhhoa-hub/bin (HUB_TOOLS_DIR), outside the repository. On 2 cores:
# helm about 7 minutes (~0.4 GB Go module cache, ~0.7 GB build cache), promtool about 13
# more (~1.8 GB and ~2 GB more). Later runs take seconds. HUB_CHECK_ALERTS=0 skips promtool.
set -euo pipefail
cd "$(dirname "$0")/../.."

HELM_VERSION=v3.21.4
K8S_MINOR=36                         # client-go v0.36 in helm v3.21.4's go.mod
KUBE_OLDEST=1.25.0                   # Chart.yaml kubeVersion
KUBE_NEWEST=1.37.0                   # newest schemas in kubernetes-validate 1.37
PROMETHEUS_VERSION=3.16.0            # promtool, for the alert rules and the dashboard queries
PROMTOOL_MODULE=v0.316.0             # the Go module version of Prometheus 3.16.0
CHECK_ALERTS=${HUB_CHECK_ALERTS:-1}  # 0: skip promtool (saves its first build)
CHART=deploy/helm/thanhhoa-hub
TOOLS=${HUB_TOOLS_DIR:-$HOME/.cache/thanhhoa-hub/bin}
HELM=$TOOLS/helm-$HELM_VERSION
PROMTOOL=$TOOLS/promtool-$PROMETHEUS_VERSION
PY=.venv/bin/python
VALIDATE=.venv/bin/kubernetes-validate
started=$(date +%s)

step() { echo "helm-check: $* ($(( $(date +%s) - started ))s)"; }

# go_tool BINARY PACKAGE@VERSION LDFLAGS: build a pinned Go tool once into $TOOLS.
go_tool() {
    local binary=$1 package=$2 ldflags=$3 gobin
    [[ -x $binary ]] && return 0
    command -v go >/dev/null || { echo "helm-check: go is needed to build $package" >&2; exit 2; }
    step "building $package from source via the Go module proxy (first run only)"
    mkdir -p "$TOOLS"
    gobin=$(mktemp -d)
    GOBIN=$gobin GOFLAGS=-buildvcs=false CGO_ENABLED=0 go install -ldflags "$ldflags" "$package"
    mv "$gobin/$(basename "${package%@*}")" "$binary"
    rmdir "$gobin"
}

p=helm.sh/helm/v3
# The same -X flags as helm's Makefile: the version, and the Kubernetes version that lint and
# template assume (else they assume 1.20 and refuse the chart's kubeVersion >= 1.25).
go_tool "$HELM" "$p/cmd/helm@$HELM_VERSION" "-s -w -X $p/internal/version.version=$HELM_VERSION \
    -X $p/pkg/lint/rules.k8sVersionMajor=1 -X $p/pkg/lint/rules.k8sVersionMinor=$K8S_MINOR \
    -X $p/pkg/chartutil.k8sVersionMajor=1 -X $p/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
if [[ $CHECK_ALERTS != 0 ]]; then
    go_tool "$PROMTOOL" "github.com/prometheus/prometheus/cmd/promtool@$PROMTOOL_MODULE" \
        "-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION"
fi
if [[ ! -x $VALIDATE ]]; then
    echo "helm-check: $VALIDATE is missing: kubernetes-validate is a dev dependency (make setup)" >&2
    exit 2
fi

# helm reports every symbolic link under files/ (they point at registry/catalog and
# deploy/grafana on purpose); hide those notices, keep everything else.
helm_() {
    local err rc=0
    err=$(mktemp)
    "$HELM" "$@" 2>"$err" || rc=$?
    grep -v 'found symbolic link in path' "$err" >&2 || true
    rm -f "$err"
    return $rc
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
step "$("$HELM" version --short)"

step "lint"
helm_ lint --strict "$CHART"
helm_ lint --strict "$CHART" -f "$CHART/values-production.yaml"

step "template"
for kube in "$KUBE_OLDEST" "$KUBE_NEWEST"; do
    helm_ template hub "$CHART" -n lgsp --kube-version "$kube" >"$out/default-$kube.yaml"
    helm_ template hub "$CHART" -n lgsp --kube-version "$kube" \
        -f "$CHART/values-production.yaml" >"$out/production-$kube.yaml"
done
# The chart must refuse more workers than partitions.
if helm_ template hub "$CHART" --set workers.replicas=7 >/dev/null 2>"$out/refused.txt"; then
    echo "helm-check: workers.replicas > streams.partitions was not refused" >&2
    exit 1
fi
grep -q 'must be <= streams.partitions' "$out/refused.txt"

step "validate against Kubernetes $KUBE_OLDEST and $KUBE_NEWEST schemas (strict)"
for kube in "$KUBE_OLDEST" "$KUBE_NEWEST"; do
    # --no-warn: the Prometheus Operator kinds have no schema here; check_rendered.py checks them.
    "$VALIDATE" --strict --quiet --no-warn -k "$kube" "$out/default-$kube.yaml" \
        "$out/production-$kube.yaml"
done

step "hub checks of the rendered manifests"
"$PY" deploy/helm/check_rendered.py "$out/default-$KUBE_NEWEST.yaml" \
    "$out/production-$KUBE_NEWEST.yaml"

if [[ $CHECK_ALERTS != 0 ]]; then
    step "alert rules and dashboard queries ($("$PROMTOOL" --version | head -1))"
    "$PROMTOOL" check rules deploy/grafana/alerts.yaml
    "$PROMTOOL" test rules deploy/grafana/alerts-test.yaml
    # Every dashboard query, Grafana variables filled in, as a recording rule: PromQL syntax.
    "$PY" deploy/helm/check_rendered.py --dashboard-rules \
        deploy/grafana/thanhhoa-hub-dashboard.json >"$out/dashboard-rules.yaml"
    "$PROMTOOL" check rules "$out/dashboard-rules.yaml"
else
    step "alert checks skipped (HUB_CHECK_ALERTS=0)"
fi

step "ok"
