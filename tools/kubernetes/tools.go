//go:build tools

// Package tools pins the Kubernetes control-plane programs the e2e test runs:
// kube-apiserver (the real API server and its schema validation) and
// kube-controller-manager (its garbage collector deletes composed objects
// when an XR goes).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
