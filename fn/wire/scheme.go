package wire

import (
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/resource/composed"
)

// The builders return typed objects; composed.From needs their kinds in
// composed.Scheme to turn them into the unstructured objects Crossplane
// applies.
func init() { //nolint:gochecknoinits // composed.Scheme is a package global of the SDK.
	utilruntime.Must(addToScheme(composed.Scheme))
}

func addToScheme(s *runtime.Scheme) error {
	for _, add := range []func(*runtime.Scheme) error{
		pgv2.AddToScheme,
		corev1.AddToScheme,
		appsv1.AddToScheme,
		networkingv1.AddToScheme,
		rbacv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// kindOf looks the object's kind up in composed.Scheme, where scheme.go
// registers every kind the builders return.
func kindOf(obj runtime.Object) (schema.GroupVersionKind, error) {
	gvks, _, err := composed.Scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		if err == nil {
			return schema.GroupVersionKind{}, errors.Errorf("%T is not in composed.Scheme", obj)
		}
		return schema.GroupVersionKind{}, errors.Wrapf(err, "%T is not in composed.Scheme", obj)
	}
	return gvks[0], nil
}
