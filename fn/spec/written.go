package spec

import (
	"strings"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// writtenSpec records which of the fields that bind at creation the user
// wrote in the spec, before any default was applied. A field the user left
// out takes the value of the object that already exists, so a Composition
// Input whose default moves on (a new PostgreSQL major, a new storage class)
// shapes only new objects, and unsetting an explicit field changes nothing.
// A guard fires only on a value the user wrote.
//
// The XRD's own schema defaults (databaseName: dittofs) are written by the
// API server before the function sees the XR, so for those a value equal to
// the default reads as written.
type writtenSpec struct {
	PostgresVersion     bool
	PerconaStorageClass bool
	DatabaseName        bool
	StorageClass        bool
	Image               bool
}

// writtenFields reads s as the user wrote it, before withSpecDefaults.
func writtenFields(s v1alpha1.DittoServerSpec) writtenSpec {
	w := writtenSpec{StorageClass: s.Storage.StorageClassName != nil, Image: s.Image != ""}
	if p := s.Percona; p != nil {
		w.PostgresVersion = p.PostgresVersion != 0
		w.PerconaStorageClass = p.StorageClassName != nil
		w.DatabaseName = p.DatabaseName != ""
	}
	return w
}

// ImageRepository is an image reference without its tag and digest.
func ImageRepository(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
		ref = ref[:i]
	}
	return ref
}

// ImageMajor is the major of an image's tag: 0 of dittofs:v0.29.0, 17 of
// 17.9-1; "" for an image without a tag (nothing to compare).
func ImageMajor(image string) string {
	tag, ok := imageTag(image)
	if !ok {
		return ""
	}
	return tagMajor(strings.TrimPrefix(tag, "v"))
}

// InstanceSetName is the Percona instance set: the observed cluster's, or
// the one new clusters get.
func (ds DittoServer) InstanceSetName() string {
	return OrDefault(ds.InstanceSet, perconaInstanceSet)
}
