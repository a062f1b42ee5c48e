// Package fn is function-dittofs: a Crossplane composition function that turns
// a DittoServer XR into a Percona PostgreSQL cluster and the DittoFS
// workloads. RunFunction is a pure, deterministic transform of the request.
//
// This package is the pipeline: RunFunction and the composer, which reads
// the observed objects, binds what the user did not write to what exists,
// guards every change to a live cluster, decides which objects are composed
// and when, and writes the status and conditions. The layers below it flow
// one way: spec (the parsed XR and its names), build (one pure builder per
// composed kind) and wire (the encoding).
package fn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	mathrand "math/rand/v2"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// Internal errors: what went wrong in reading the request, not in the spec.
const (
	errReadInput    = "cannot read the function Input"
	errNoObservedXR = "the request has no observed XR"
)

// Function composes DittoServers.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log    logging.Logger
	random func(namespace, name string) io.Reader
	// responses, when set, answers repeated requests (WithResponseCache).
	responses *responseCache
}

// An Option configures a Function.
type Option func(*Function)

// WithRandom makes the Function generate Secrets from r instead of
// crypto/rand, for tests that need the same bytes every time.
func WithRandom(r io.Reader) Option {
	return func(f *Function) { f.random = func(_, _ string) io.Reader { return r } }
}

// WithSeededSecrets makes every generated Secret value a function of seed
// and the XR's namespace and name, so that renders are repeatable (the
// render goldens). Never in a cluster: anyone knowing the seed knows the
// Secrets.
func WithSeededSecrets(seed string) Option {
	return func(f *Function) {
		f.random = func(namespace, name string) io.Reader {
			return mathrand.NewChaCha8(sha256.Sum256([]byte(seed + "\x00" + namespace + "\x00" + name)))
		}
	}
}

// NewFunction returns a Function that logs to log.
func NewFunction(log logging.Logger, opts ...Option) *Function {
	f := &Function{log: log, random: func(_, _ string) io.Reader { return rand.Reader }}
	for _, o := range opts {
		o(f)
	}
	return f
}

// RunFunction composes one DittoServer. Errors become results, never gRPC
// errors: a Fatal result tells Crossplane to apply nothing. With
// WithResponseCache, a request answered before is answered from the cache
// (response_cache.go).
func (f *Function) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	if f.responses != nil {
		return f.responses.run(req, f.compose, f.log), nil
	}
	rsp, _ := f.compose(req)
	return rsp, nil
}

// ResponseCacheStats is what the response cache did and holds, and false
// when the Function has none.
func (f *Function) ResponseCacheStats() (ResponseCacheStats, bool) {
	if f.responses == nil {
		return ResponseCacheStats{}, false
	}
	return f.responses.snapshot(), true
}

// compose is RunFunction without the cache. cacheable says the response is
// a function of req alone: it composed (no Fatal, whose logs a cached
// answer would skip) and generated no Secret from random bytes.
func (f *Function) compose(req *fnv1.RunFunctionRequest) (rsp *fnv1.RunFunctionResponse, cacheable bool) {
	log := f.log.WithValues("tag", req.GetMeta().GetTag())
	rsp = response.To(req, response.DefaultTTL)

	// A panic would kill the server and every other XR's reconcile with it.
	// The fuzz test proves none happens; this is the last line of defence,
	// and it still applies nothing.
	defer func() {
		if r := recover(); r != nil {
			log.Info("internal error", "panic", fmt.Sprint(r))
			rsp = response.To(req, response.DefaultTTL)
			fatal(rsp, errors.Errorf("internal error in function-dittofs: %v", r))
		}
	}()

	c, err := newComposer(req, rsp)
	random := &randomBytesRead{}
	if c != nil {
		random.r = f.random(c.ds.Namespace, c.ds.Name)
		c.random = random
	}
	if err != nil {
		log.Info("cannot compose", "error", err.Error())
		fatal(rsp, err)
		return rsp, false
	}
	log = log.WithValues("xr", c.ds.Name, "namespace", c.ds.Namespace)
	if err := c.compose(); err != nil {
		log.Info("cannot compose", "error", err.Error())
		fatal(rsp, err)
		return rsp, false
	}
	succeeded(rsp)
	log.Debug("composed", "resources", len(c.desired))
	return rsp, random.n == 0
}

// newComposer reads and checks everything the builders need from the request.
func newComposer(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) (*composer, error) {
	in, err := spec.ReadInput(req.GetInput())
	if err != nil {
		return nil, errors.Wrap(err, errReadInput)
	}
	input := spec.InputWithDefaults(in)
	if err := spec.ValidateInput(input); err != nil {
		return nil, err
	}

	xr := req.GetObserved().GetComposite().GetResource()
	if xr == nil {
		return nil, errors.New(errNoObservedXR)
	}
	ds, err := spec.Parse(xr, input)
	if err != nil {
		return nil, errors.Wrapf(err, "invalid %s %q", ds.Kind, ds.Name)
	}
	if errs := spec.Validate(ds, input); len(errs) > 0 {
		return nil, invalidSpec(ds.Kind, ds.Name, errs)
	}
	return &composer{req: req, rsp: rsp, in: input, ds: ds, desired: map[resource.Name]*desiredObject{}}, nil
}

// invalidSpec lists every invalid field of the XR in one error, each with
// its path and how to fix it.
func invalidSpec(kind, name string, errs field.ErrorList) error {
	return errors.Errorf("invalid %s %q: %s", kind, name, spec.JoinFieldErrors(errs))
}

// fatal reports err to the XR and the claim: as a Fatal result (Crossplane
// applies nothing and marks the XR not synced) and as a condition the claim's
// user can read.
func fatal(rsp *fnv1.RunFunctionResponse, err error) {
	reason := "InvalidSpec"
	switch {
	case errors.As(err, new(unsafeChangeError)):
		reason = "UnsafeChange"
	case errors.As(err, new(unreadableObservedError)):
		reason = "UnreadableObserved"
	case errors.As(err, new(spec.InvalidInputError)):
		reason = "InvalidInput"
	}
	response.ConditionFalse(rsp, "FunctionSuccess", reason).
		WithMessage(err.Error()).TargetCompositeAndClaim()
	response.Fatal(rsp, err)
}
