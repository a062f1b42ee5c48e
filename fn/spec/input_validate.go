package spec

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// The crVersion range the function composes for: Percona operator 2.9.x.
//
// The operator reads crVersion as the behaviour it should have
// (cr.CompareVersion gates defaults on it), and the function's composition
// relies on 2.9.0's: below 2.9.0 the operator defaults an empty
// proxy.pgBouncer, which the function does not give an image, and v2.9.0
// ships no default image, so the cluster stalls on MissingRequiredImage.
// Above 2.9.x is an operator the function was not certified against (its
// API, defaults and images are those of v2.9.0). Percona's patch releases
// keep the API, so 2.9.x is accepted.
var (
	minCRVersion = semver{2, 9, 0}
	// maxCRVersion is the first version not supported.
	maxCRVersion = semver{2, 10, 0}
)

// InvalidInputError is a function Input the function cannot compose with. It is
// the platform team's to fix (the Composition), not the XR's owner's.
type InvalidInputError struct{ errs field.ErrorList }

func (e InvalidInputError) Error() string {
	return "invalid function Input (the Composition's pipeline step of function-dittofs; ask your platform team to fix it): " + JoinFieldErrors(e.errs)
}

// ValidateInput checks the defaulted Input. Crossplane never applies the
// Input's CRD (package/input), so its patterns are checked here.
func ValidateInput(in v1beta1.Input) error {
	root := field.NewPath("input")
	errs := validateCRVersion(root.Child("crVersion"), in.CRVersion)
	errs = append(errs, validatePostgresImages(root.Child("images", "postgres"), in.Images.Postgres)...)
	if len(errs) > 0 {
		return InvalidInputError{errs: errs}
	}
	return nil
}

// semver is a release version X.Y.Z.
type semver [3]int

var semverPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

func parseSemver(s string) (semver, bool) {
	m := semverPattern.FindStringSubmatch(s)
	if m == nil {
		return semver{}, false
	}
	var v semver
	for i := range v {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

func (v semver) less(w semver) bool {
	for i := range v {
		if v[i] != w[i] {
			return v[i] < w[i]
		}
	}
	return false
}

func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v[0], v[1], v[2]) }

// validateCRVersion: the operator parses crVersion with go-version's Must,
// so anything else than a version panics its reconcile.
func validateCRVersion(p *field.Path, crVersion string) field.ErrorList {
	v, ok := parseSemver(crVersion)
	if !ok {
		return field.ErrorList{field.Invalid(p, crVersion, fmt.Sprintf(
			"must be a version X.Y.Z, e.g. %s (the Percona operator panics on anything else); leave it unset for %s", defaultCRVersion, defaultCRVersion))}
	}
	if v.less(minCRVersion) || !v.less(maxCRVersion) {
		return field.ErrorList{field.Invalid(p, crVersion, fmt.Sprintf(
			"this function composes for Percona operator %d.%d.x (crVersion >= %s and < %s): it is certified against that operator's API, defaults and images. Set crVersion within that range, or upgrade function-dittofs to a release certified for the operator you run",
			minCRVersion[0], minCRVersion[1], minCRVersion, maxCRVersion))}
	}
	return nil
}

// validatePostgresImages: each entry is an image of the PostgreSQL major its
// key names, so that a cluster's major is the one its spec says. An entry
// whose tag is another major would start a 16 data directory on 17 binaries
// (or the other way round), which PostgreSQL refuses.
func validatePostgresImages(p *field.Path, images map[string]string) field.ErrorList {
	majors := make([]string, 0, len(images))
	for major := range images {
		majors = append(majors, major)
	}
	sort.Strings(majors)
	var errs field.ErrorList
	for _, major := range majors {
		image := images[major]
		entry := p.Key(major)
		n, err := strconv.Atoi(major)
		if err != nil || strconv.Itoa(n) != major || n < minPostgresMajor || n > maxPostgresMajor {
			errs = append(errs, field.Invalid(entry, image, fmt.Sprintf(
				"keys are PostgreSQL majors %d..%d (as spec.percona.postgresVersion), e.g. \"17\"", minPostgresMajor, maxPostgresMajor)))
			continue
		}
		if image == "" {
			// Unpins the major: spec.percona.postgresVersion then refuses it.
			continue
		}
		tag, ok := imageTag(image)
		if !ok {
			errs = append(errs, field.Invalid(entry, image, fmt.Sprintf(
				"has no tag to tell its PostgreSQL major by: name it, e.g. %s (a digest may follow: %s@sha256:...)", exampleImage(major), exampleImage(major))))
			continue
		}
		if got := tagMajor(tag); got != major {
			errs = append(errs, field.Invalid(entry, image, fmt.Sprintf(
				"tag %q is not PostgreSQL %s (a tag starts with its major, e.g. %s): pin an image of PostgreSQL %s under %q, or put this one under its own major",
				tag, major, exampleImage(major), major, major)))
		}
	}
	return errs
}

// The PostgreSQL majors a DittoServer may ask for (the XRD's bounds of
// spec.percona.postgresVersion).
const (
	minPostgresMajor = 14
	maxPostgresMajor = 18
)

// imageTag is the tag of an image reference ([registry/]repo[:tag][@digest]),
// if it has one. A colon before the last slash is a registry's port.
func imageTag(image string) (string, bool) {
	ref, _, _ := strings.Cut(image, "@")
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") || i == len(ref)-1 {
		return "", false
	}
	return ref[i+1:], true
}

// tagMajor is the major a PostgreSQL image tag starts with: Percona's
// 17.9-1, the community's 17.2, 17 or 17-alpine. "" when it starts with
// no number.
func tagMajor(tag string) string {
	end := 0
	for end < len(tag) && tag[end] >= '0' && tag[end] <= '9' {
		end++
	}
	return tag[:end]
}

// exampleImage is a Percona image of major, for messages.
func exampleImage(major string) string {
	if image, ok := defaultPostgresImages()[major]; ok {
		return image
	}
	return "docker.io/percona/percona-distribution-postgresql:" + major + ".x-1"
}
