// A separate module for the local node's own small tools (images, pause), so that their
// dependencies never touch the plugin's.
module github.com/kubectl-netpol/kubectl-netpol/hack/nodebin

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
