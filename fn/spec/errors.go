package spec

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// JoinFieldErrors is every error of errs, each with its path, in one line:
// the one way user errors are written.
func JoinFieldErrors(errs field.ErrorList) string {
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "; ")
}
