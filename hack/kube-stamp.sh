# Sourced by hack/testbin.sh and hack/nodebin.sh: kube_stamp VERSION prints the -X linker flags
# that Kubernetes' own build stamps in, so that `kubectl version`, /version and the node's
# kubelet version tell the release.
kube_stamp() {
  local version=$1 minor stamp="" pkg
  minor=${version#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z -X $pkg.gitCommit=module-proxy-build"
  done
  echo "$stamp"
}
