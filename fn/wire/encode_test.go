package wire

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// The oracle: encodeObject's rule computed by encoding/json itself. Every
// struct type is mirrored by reflect.StructOf with its tags rewritten so
// that omitempty on a struct-typed field also says omitzero (the rule's one
// exception); types with their own JSON or text form are kept as they are,
// so their methods still run. The mirror is filled with a deep copy of the
// object, marshalled by encoding/json, read back by structpb; then status
// goes and apiVersion and kind come from the scheme. Nothing here is shared
// with encode.go.

var (
	oracleMarshaler     = reflect.TypeFor[json.Marshaler]()
	oracleTextMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	oracleZeroer        = reflect.TypeFor[interface{ IsZero() bool }]()
	mirrors             sync.Map // reflect.Type -> reflect.Type
)

// keepsItsType: encoding/json calls a method of the type (or, where the
// value is addressable, of its pointer): MarshalJSON, MarshalText, or
// omitzero's IsZero. A mirror would lose it, so the type stays as it is
// (and the rewrite does not reach inside it: a type with IsZero but no
// marshaler would show up as a difference in the tests, not hide one).
func keepsItsType(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(oracleMarshaler) || t.Implements(oracleTextMarshaler) || t.Implements(oracleZeroer) ||
		p.Implements(oracleMarshaler) || p.Implements(oracleTextMarshaler) || p.Implements(oracleZeroer)
}

// mirrorType is t with every struct in it rewritten; building stack detects
// a recursive type, which StructOf cannot express (none is composed).
func mirrorType(t reflect.Type, building map[reflect.Type]bool) reflect.Type {
	if m, ok := mirrors.Load(t); ok {
		return m.(reflect.Type)
	}
	if keepsItsType(t) {
		return t
	}
	var m reflect.Type
	switch t.Kind() {
	case reflect.Pointer:
		m = reflect.PointerTo(mirrorType(t.Elem(), building))
	case reflect.Slice:
		m = reflect.SliceOf(mirrorType(t.Elem(), building))
	case reflect.Array:
		m = reflect.ArrayOf(t.Len(), mirrorType(t.Elem(), building))
	case reflect.Map:
		m = reflect.MapOf(t.Key(), mirrorType(t.Elem(), building))
	case reflect.Struct:
		if building[t] {
			panic(fmt.Sprintf("oracle: recursive type %s", t))
		}
		building[t] = true
		m = mirrorStruct(t, building)
		delete(building, t)
	default:
		// Scalars keep their kind; interfaces hold values of their own
		// types, which encoding/json sees as they are.
		return t
	}
	mirrors.Store(t, m)
	return m
}

func mirrorStruct(t reflect.Type, building map[reflect.Type]bool) reflect.Type {
	fields := make([]reflect.StructField, 0, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			if sf.Anonymous {
				panic(fmt.Sprintf("oracle: %s embeds unexported %s", t, sf.Type))
			}
			continue // encoding/json ignores it too
		}
		fields = append(fields, reflect.StructField{
			Name:      sf.Name,
			Type:      mirrorType(sf.Type, building),
			Tag:       mirrorTag(sf),
			Anonymous: sf.Anonymous,
		})
	}
	return reflect.StructOf(fields)
}

// mirrorTag is the field's json tag with omitzero added where the rule
// reads omitempty as omitzero.
func mirrorTag(sf reflect.StructField) reflect.StructTag {
	tag, ok := sf.Tag.Lookup("json")
	if !ok {
		return ""
	}
	if sf.Type.Kind() == reflect.Struct && strings.Contains(","+tag+",", ",omitempty,") {
		tag += ",omitzero"
	}
	return reflect.StructTag(fmt.Sprintf("json:%q", tag))
}

// mirrorValue copies v into a value of type to (mirrorType(v.Type())).
func mirrorValue(v reflect.Value, to reflect.Type) reflect.Value {
	if v.Type() == to {
		return v
	}
	out := reflect.New(to).Elem()
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			p := reflect.New(to.Elem())
			p.Elem().Set(mirrorValue(v.Elem(), to.Elem()))
			out.Set(p)
		}
	case reflect.Slice:
		if !v.IsNil() {
			out.Set(reflect.MakeSlice(to, v.Len(), v.Len()))
			for i := range v.Len() {
				out.Index(i).Set(mirrorValue(v.Index(i), to.Elem()))
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			out.Index(i).Set(mirrorValue(v.Index(i), to.Elem()))
		}
	case reflect.Map:
		if !v.IsNil() {
			out.Set(reflect.MakeMapWithSize(to, v.Len()))
			for it := v.MapRange(); it.Next(); {
				out.SetMapIndex(it.Key(), mirrorValue(it.Value(), to.Elem()))
			}
		}
	case reflect.Struct:
		j := 0
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			out.Field(j).Set(mirrorValue(v.Field(i), to.Field(j).Type))
			j++
		}
	default:
		out.Set(v)
	}
	return out
}

// oracleValue is what encoding/json writes for x under the rule, read back
// as maps, lists and float64s.
func oracleValue(x any) (any, error) {
	v := reflect.ValueOf(x)
	mirrored := mirrorValue(v, mirrorType(v.Type(), map[reflect.Type]bool{}))
	b, err := json.Marshal(mirrored.Interface())
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// oracleEncoding is what encodeObject must return for obj, or an error
// where encoding/json fails.
func oracleEncoding(obj runtime.Object) (map[string]any, error) {
	if u, ok := obj.(interface{ UnstructuredContent() map[string]any }); ok {
		s, err := structpb.NewStruct(u.UnstructuredContent())
		if err != nil {
			return nil, err
		}
		return s.AsMap(), nil
	}
	m, err := oracleValue(obj)
	if err != nil {
		return nil, err
	}
	s, err := structpb.NewStruct(m.(map[string]any))
	if err != nil {
		return nil, err
	}
	delete(s.GetFields(), "status")
	gvks, _, err := composed.Scheme.ObjectKinds(obj)
	if err != nil {
		return nil, err
	}
	s.Fields["apiVersion"] = structpb.NewStringValue(gvks[0].GroupVersion().String())
	s.Fields["kind"] = structpb.NewStringValue(gvks[0].Kind)
	return s.AsMap(), nil
}

// checkEncoding: encodeObject and the oracle agree on obj, both failing or
// both giving the same object.
func checkEncoding(t *testing.T, what string, obj runtime.Object) {
	t.Helper()
	want, wantErr := oracleEncoding(obj)
	got, err := Object(obj)
	switch {
	case (err != nil) != (wantErr != nil):
		t.Fatalf("%s: encodeObject() error %v, encoding/json error %v", what, err, wantErr)
	case err != nil:
		return
	}
	if diff := cmp.Diff(want, got.AsMap()); diff != "" {
		t.Errorf("%s: -encoding/json, +encodeObject():\n%s", what, diff)
	}
}

// TestEncodeMatchesEncodingJSON: for every object the builders make, over
// specs that turn every feature on and off, the one-pass encoder gives what
// the oracle gives.
func TestEncodeMatchesEncodingJSON(t *testing.T) {
	full := fixture.PerconaSpec(fixture.S3Backup())
	full.Storage.ContentSize = "100Gi"
	full.Storage.StorageClassName = ptr.To("fast")
	full.Resources = nil
	full.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9443, CertSecretName: "tls", ClientCASecretName: "ca"}
	full.Metrics = &v1alpha1.MetricsSpec{Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "m", Key: "t"}, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
	full.Identity = &v1alpha1.IdentitySpec{
		LDAP:     &v1alpha1.LDAPSpec{Enabled: true, URL: "ldaps://l", BaseDN: "b", BindDN: "d", CACertSecretRef: &v1alpha1.SecretKeySelector{Name: "l"}},
		Kerberos: &v1alpha1.KerberosSpec{Enabled: true, ServicePrincipal: "p", KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "k"}, Krb5ConfSecretRef: &v1alpha1.SecretKeySelector{Name: "c"}},
	}
	full.Percona.DeletionPolicy = "Delete"
	stopped := fixture.MinimalSpec()
	stopped.Replicas = ptr.To[int32](0)
	external := fixture.MinimalSpec()
	external.Database = &v1alpha1.DatabaseSpec{PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"}, SSLMode: "verify-full", CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca"}}

	in := fixture.Input()
	for name, s := range map[string]v1alpha1.DittoServerSpec{
		"minimal": fixture.MinimalSpec(), "percona": fixture.PerconaSpec(nil), "full": full, "stopped": stopped, "external": external,
	} {
		ds := fixture.DittoServer(s)
		objs := map[string]runtime.Object{
			"percona-cluster": build.PerconaCluster(ds, in, "creds", ds.NewRepoPath()),
			"statefulset":     build.StatefulSet(ds, in, "hash"),
			"headless":        build.HeadlessService(ds),
			"api":             build.APIService(ds),
			"nfs":             build.AdapterService(ds, ds.NFSServiceName(), build.PortNFS, ds.Spec.Adapters.NFS),
			"metrics":         build.MetricsService(ds),
			"networkpolicy":   build.NetworkPolicy(ds),
			"configmap":       build.ConfigMap(ds, "config"),
			"jwt":             build.JWTSecret(ds, []byte("jwt")),
			"admin":           build.AdminSecret(ds, []byte("pw")),
			"s3":              build.PGBackRestS3Secret(ds, []byte("conf")),
			"connection":      build.ConnectionSecret(ds, build.ConnectionDetails(build.Endpoints(ds, in), []byte("pw"))),
			"servicemonitor":  build.ServiceMonitor(ds),
			"usage":           build.ServerUsesDatabase(ds),
		}
		for kind, obj := range objs {
			checkEncoding(t, name+"/"+kind, obj)
		}
	}
}
