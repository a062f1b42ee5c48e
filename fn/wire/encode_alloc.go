package wire

import "google.golang.org/protobuf/types/known/structpb"

// An Encoder writes the objects of one response (Object). It takes their Values,
// and the messages inside them, from slabs: an object of the builders' is
// hundreds of small messages, and allocating them a slab at a time instead
// of one by one saves most of the allocations and leaves far fewer objects
// for the garbage collector. The objects of a response live and die with
// it, so a slab is not held much longer than its Values. The zero Encoder
// is ready to use; it is not safe for concurrent use.
type Encoder struct {
	values      slab[structpb.Value]
	strings     slab[structpb.Value_StringValue]
	numbers     slab[structpb.Value_NumberValue]
	bools       slab[structpb.Value_BoolValue]
	nulls       slab[structpb.Value_NullValue]
	structs     slab[structpb.Struct]
	structKinds slab[structpb.Value_StructValue]
	lists       slab[structpb.ListValue]
	listKinds   slab[structpb.Value_ListValue]

	// stack holds the fields of the structs being encoded, innermost last.
	stack []encodedField
}

type encodedField struct {
	name  string
	value *structpb.Value
}

// slab hands out the elements of arrays it allocates, each array twice the
// size of the one before (up to slabMax), so that a small object wastes
// little and a large one takes few allocations.
type slab[T any] struct {
	free []T
	size int // of the last array
}

const (
	slabMin = 8
	slabMax = 64
)

func (s *slab[T]) next() *T {
	if len(s.free) == 0 {
		s.size = min(max(2*s.size, slabMin), slabMax)
		s.free = make([]T, s.size)
	}
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

func (e *Encoder) str(x string) *structpb.Value {
	k := e.strings.next()
	k.StringValue = x
	v := e.values.next()
	v.Kind = k
	return v
}

func (e *Encoder) number(x float64) *structpb.Value {
	k := e.numbers.next()
	k.NumberValue = x
	v := e.values.next()
	v.Kind = k
	return v
}

func (e *Encoder) boolean(x bool) *structpb.Value {
	k := e.bools.next()
	k.BoolValue = x
	v := e.values.next()
	v.Kind = k
	return v
}

// null is a new null Value: the response's messages are not shared.
func (e *Encoder) null() *structpb.Value {
	v := e.values.next()
	v.Kind = e.nulls.next()
	return v
}

func (e *Encoder) structOf(fields map[string]*structpb.Value) *structpb.Value {
	s := e.structs.next()
	s.Fields = fields
	k := e.structKinds.next()
	k.StructValue = s
	v := e.values.next()
	v.Kind = k
	return v
}
