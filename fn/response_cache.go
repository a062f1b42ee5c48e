package fn

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"io"
	"math"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// WithResponseCache makes the Function answer a request it has answered
// before with the response it gave then, from a cache of at most maxBytes
// of encoded responses (the least recently used goes first). In a steady
// state Crossplane sends each XR the same request on every reconcile;
// composing it again gives the same bytes, since the function is pure.
//
// The rule for a cache across calls: the key is a complete digest of
// everything the value depends on, and the cache is bounded. A response is
// a function of its request and nothing else (no clock, no map order) unless
// the call read random bytes for a new Secret or failed (its logs would be
// skipped); those are never cached. The key is SHA-256 over every field of
// the request (requestDigest), so equal keys are equal requests.
//
// The cache keeps each response encoded (deterministic protobuf, some 16 KB
// for a steady-state XR, against 100-200 KB as a message), and answers with
// a message that holds that encoding as its unknown fields, which
// proto.Marshal writes out as they are: the response's deterministic
// encoding on the wire, with no Structs to build or encode per hit. Bytes hold
// no pointers, so a full cache costs the garbage collector nothing to mark.
// A caller in process that wants the fields reads them with
// proto.Unmarshal(proto.Marshal(rsp)) (TestResponseCache compares cached and
// uncached responses byte for byte over the corpus and over sequences of
// changes). Off (maxBytes 0) unless the server is started with
// --response-cache-mb above 0, as it is by default.
func WithResponseCache(maxBytes int) Option {
	return func(f *Function) {
		if maxBytes > 0 {
			f.responses = &responseCache{max: maxBytes, byKey: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
		}
	}
}

// responseCache is a bounded LRU map from request digests to encoded
// responses.
type responseCache struct {
	mu    sync.Mutex
	max   int // bytes
	size  int // bytes held
	byKey map[[sha256.Size]byte]*list.Element
	order *list.List // of *cachedResponse, most recently used first
	stats ResponseCacheStats
}

// ResponseCacheStats count what the response cache did since the server
// started, for its metrics.
type ResponseCacheStats struct {
	// Hits are requests answered from the cache; Misses, requests composed
	// (kept or not); Evictions, responses dropped to stay in the budget.
	Hits, Misses, Evictions uint64
	// Responses and Bytes are what it holds now; MaxBytes, its budget.
	Responses, Bytes, MaxBytes int
}

type cachedResponse struct {
	key     [sha256.Size]byte
	encoded []byte
}

// run answers req from the cache, or by compose, keeping what it may.
func (rc *responseCache) run(req *fnv1.RunFunctionRequest, compose func(*fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, bool), log logging.Logger) *fnv1.RunFunctionResponse {
	key := requestDigest(req)
	if encoded, ok := rc.get(key); ok {
		xr := req.GetObserved().GetComposite().GetResource().GetFields()["metadata"].GetStructValue().GetFields()
		log.Debug("answered from the response cache", "tag", req.GetMeta().GetTag(),
			"xr", xr["name"].GetStringValue(), "namespace", xr["namespace"].GetStringValue())
		return encodedResponse(encoded)
	}
	rsp, cacheable := compose(req)
	if !cacheable {
		return rsp
	}
	encoded, err := proto.MarshalOptions{Deterministic: true}.Marshal(rsp)
	if err != nil {
		// gRPC would fail to send it too; let it say so.
		return rsp
	}
	// A full slice: a caller appending to the message's unknown fields
	// copies them instead of writing into the cache's array.
	encoded = encoded[:len(encoded):len(encoded)]
	rc.put(key, encoded)
	return encodedResponse(encoded)
}

// encodedResponse is a RunFunctionResponse whose encoding is encoded: it
// holds the bytes as unknown fields, which proto.Marshal writes as they are.
func encodedResponse(encoded []byte) *fnv1.RunFunctionResponse {
	rsp := &fnv1.RunFunctionResponse{}
	rsp.ProtoReflect().SetUnknown(encoded)
	return rsp
}

func (rc *responseCache) get(key [sha256.Size]byte) ([]byte, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	e, ok := rc.byKey[key]
	if !ok {
		rc.stats.Misses++
		return nil, false
	}
	rc.stats.Hits++
	rc.order.MoveToFront(e)
	cr, _ := e.Value.(*cachedResponse)
	return cr.encoded, true
}

func (rc *responseCache) put(key [sha256.Size]byte, encoded []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if e, ok := rc.byKey[key]; ok {
		rc.order.MoveToFront(e)
		return
	}
	if len(encoded) > rc.max {
		return // larger than the whole cache
	}
	rc.byKey[key] = rc.order.PushFront(&cachedResponse{key: key, encoded: encoded})
	rc.size += len(encoded)
	for rc.size > rc.max {
		last := rc.order.Back()
		cr, _ := rc.order.Remove(last).(*cachedResponse)
		delete(rc.byKey, cr.key)
		rc.size -= len(cr.encoded)
		rc.stats.Evictions++
	}
}

// snapshot is the counters and what the cache holds now.
func (rc *responseCache) snapshot() ResponseCacheStats {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	s := rc.stats
	s.Responses, s.Bytes, s.MaxBytes = rc.order.Len(), rc.size, rc.max
	return s
}

// randomBytesRead counts the bytes read through it: a call that read any
// generated a Secret, and its response is not a function of the request.
type randomBytesRead struct {
	r io.Reader
	n int
}

func (c *randomBytesRead) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// requestDigest is SHA-256 over an unambiguous encoding of every field set
// in req, through protobuf reflection so that a field the SDK adds is
// covered too; map entries in key order, unknown fields as they are. The
// Structs (the observed objects, most of a request) are walked directly,
// which is the same encoding, faster.
func requestDigest(req *fnv1.RunFunctionRequest) [sha256.Size]byte {
	d, _ := digesters.Get().(*digester)
	d.h.Reset()
	d.message(req.ProtoReflect())
	d.flush()
	var sum [sha256.Size]byte
	d.h.Sum(sum[:0])
	digesters.Put(d)
	return sum
}

// digesters keep their buffers from call to call.
var digesters = sync.Pool{New: func() any { return &digester{h: sha256.New(), buf: make([]byte, 0, 1<<15)} }}

// digester writes each value as a tag byte and a payload whose length is
// known (fixed, or written before it), so no two different messages write
// the same bytes.
type digester struct {
	h    hash.Hash
	buf  []byte
	keys []string
}

func (d *digester) tag(t byte) { d.buf = append(d.buf, t) }

func (d *digester) uint(x uint64) { d.buf = binary.AppendUvarint(d.buf, x) }

func (d *digester) int(x int64) { d.buf = binary.AppendVarint(d.buf, x) }

func (d *digester) str(s string) {
	d.uint(uint64(len(s)))
	d.buf = append(d.buf, s...)
	if len(d.buf) > 1<<14 {
		d.flush()
	}
}

func (d *digester) flush() {
	_, _ = d.h.Write(d.buf)
	d.buf = d.buf[:0]
}

func (d *digester) message(m protoreflect.Message) {
	switch x := m.Interface().(type) {
	case *structpb.Struct:
		d.structValue(x)
		return
	case *structpb.Value:
		d.value(x)
		return
	}
	d.tag('m')
	d.str(string(m.Descriptor().FullName()))
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		d.int(int64(fd.Number()))
		v := m.Get(fd)
		switch {
		case fd.IsList():
			l := v.List()
			d.tag('l')
			d.int(int64(l.Len()))
			for j := range l.Len() {
				d.scalar(fd, l.Get(j))
			}
		case fd.IsMap():
			d.mapField(fd, v.Map())
		default:
			d.scalar(fd, v)
		}
	}
	d.tag('u')
	d.str(string(m.GetUnknown()))
	d.tag('e')
}

func (d *digester) mapField(fd protoreflect.FieldDescriptor, m protoreflect.Map) {
	type entry struct {
		k protoreflect.MapKey
		s string
	}
	entries := make([]entry, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		entries = append(entries, entry{k, k.String()})
		return true
	})
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	d.tag('M')
	d.uint(uint64(len(entries)))
	for _, e := range entries {
		d.scalar(fd.MapKey(), e.k.Value())
		d.scalar(fd.MapValue(), m.Get(e.k))
	}
}

// scalar writes one value of field fd's kind (a list's element, a map's key
// or value, or a singular field).
func (d *digester) scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		d.message(v.Message())
	case protoreflect.BoolKind:
		if v.Bool() {
			d.tag('t')
		} else {
			d.tag('f')
		}
	case protoreflect.EnumKind:
		d.tag('n')
		d.int(int64(v.Enum()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		d.tag('i')
		d.int(v.Int())
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		d.tag('u')
		d.uint(v.Uint())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		d.tag('d')
		d.buf = binary.LittleEndian.AppendUint64(d.buf, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		d.tag('s')
		d.str(v.String())
	case protoreflect.BytesKind:
		d.tag('b')
		d.str(string(v.Bytes()))
	}
}

func (d *digester) structValue(s *structpb.Struct) {
	d.tag('o')
	if s == nil {
		// Encoded as an empty Struct: the same message.
		d.uint(0)
		d.str("")
		return
	}
	base := len(d.keys)
	for k := range s.GetFields() {
		d.keys = append(d.keys, k)
	}
	keys := d.keys[base:]
	slices.Sort(keys)
	d.uint(uint64(len(keys)))
	for _, k := range keys {
		d.str(k)
		d.value(s.GetFields()[k])
	}
	clear(d.keys[base:])
	d.keys = d.keys[:base]
	d.str(string(s.ProtoReflect().GetUnknown()))
}

func (d *digester) value(v *structpb.Value) {
	if v == nil {
		// Encoded as a Value with no kind: the same message.
		d.tag('k')
		d.str("")
		return
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		d.tag('z')
	case *structpb.Value_NumberValue:
		d.tag('d')
		d.buf = binary.LittleEndian.AppendUint64(d.buf, math.Float64bits(k.NumberValue))
	case *structpb.Value_StringValue:
		d.tag('s')
		d.str(k.StringValue)
	case *structpb.Value_BoolValue:
		if k.BoolValue {
			d.tag('t')
		} else {
			d.tag('f')
		}
	case *structpb.Value_StructValue:
		d.structValue(k.StructValue)
	case *structpb.Value_ListValue:
		d.tag('l')
		values := k.ListValue.GetValues()
		d.uint(uint64(len(values)))
		for _, e := range values {
			d.value(e)
		}
		var unknown []byte
		if k.ListValue != nil {
			unknown = k.ListValue.ProtoReflect().GetUnknown()
		}
		d.str(string(unknown))
	default:
		// A Value with no kind set (nil, or an empty oneof).
		d.tag('k')
	}
	d.str(string(v.ProtoReflect().GetUnknown()))
}
