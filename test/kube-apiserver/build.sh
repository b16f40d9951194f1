#!/usr/bin/env bash
# Builds the test kube-apiserver (main.go: upstream kube-apiserver + embedded etcd) once into a
# cache directory outside the repository and prints the binary's path. Reused while it exists.
#
#   test/kube-apiserver/build.sh            build if missing, print the path
#   test/kube-apiserver/build.sh --path     print the path only (no build)
#
# HOOP_KUBE_APISERVER_CACHE overrides the cache directory. The first build compiles most of
# Kubernetes: about 15 minutes on 2 cores (see CONTRIBUTING.md); later runs take no time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2; exit }' "${here}/go.mod")"
cache="${HOOP_KUBE_APISERVER_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/hoop-gateway}"
out="${cache}/kube-apiserver-${version}"

if [ "${1:-}" = "--path" ]; then
  echo "${out}"
  exit 0
fi
if [ -x "${out}" ]; then
  echo "${out}"
  exit 0
fi

if ! command -v go >/dev/null; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    [ -x "${candidate}/go" ] && PATH="${candidate}:${PATH}" && break
  done
fi
command -v go >/dev/null || { echo "build.sh: no Go toolchain (go) on PATH" >&2; exit 3; }

mkdir -p "${cache}"
# One build at a time: test files started in parallel wait here, then find the binary built.
exec 9>"${cache}/kube-apiserver-${version}.lock"
flock 9
if [ -x "${out}" ]; then
  echo "${out}"
  exit 0
fi
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
cpkg=k8s.io/client-go/pkg/version
ldflags="-s -w"
for p in "${pkg}" "${cpkg}"; do
  ldflags="${ldflags} -X ${p}.gitVersion=${version} -X ${p}.gitMajor=${major} -X ${p}.gitMinor=${minor}"
  ldflags="${ldflags} -X ${p}.gitTreeState=clean -X ${p}.buildDate=1970-01-01T00:00:00Z"
done
start=$(date +%s)
echo "build.sh: building kube-apiserver ${version} into ${out} (the first build takes a while)" >&2
cd "${here}"
GOTOOLCHAIN="${GOTOOLCHAIN:-local}" CGO_ENABLED=0 \
  go build -trimpath -ldflags="${ldflags}" -o "${out}.tmp.$$" .
mv "${out}.tmp.$$" "${out}"
echo "build.sh: built in $(($(date +%s) - start))s" >&2
echo "${out}"
