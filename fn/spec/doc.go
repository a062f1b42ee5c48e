// Package spec is the DittoServer as the function reads it: the XR parsed
// from the request, with the XRD's and the Composition Input's defaults
// applied, validated field by field, and the names of everything composed
// for it (methods on DittoServer). It knows nothing of the request's
// observed objects or the response: fn binds what is observed, build turns
// a DittoServer into objects.
package spec
