//go:build tools

// Package tools pins etcd, the store the e2e test's kube-apiserver uses.
package tools

import _ "go.etcd.io/etcd/server/v3"
