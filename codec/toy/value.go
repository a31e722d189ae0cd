package toy

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Limits on an untrusted datagram, checked before anything is allocated.
const (
	// MaxDatagram is the largest datagram read or written: a UDP payload
	// over IPv4 is at most 65507 bytes (the article reads 65536).
	MaxDatagram = 65507
	// MaxMapKeys is the most keys in one map.
	MaxMapKeys = 64
	// MaxArray is the most elements in one array (peers excepted: see MaxPeers).
	MaxArray = 4096
	// MaxString is the longest string or binary value: base64 filecontents
	// fill most of a datagram.
	MaxString = MaxDatagram
	// MaxKey is the longest map key.
	MaxKey = 64
	// MaxDepth is how deeply arrays and maps nest ([[host, port]] in a map is 3).
	MaxDepth = 8
)

// Field is one key and value of a Map, in the datagram's order.
type Field struct {
	Key   string
	Value any
}

// Map is a msgpack map with string keys, in the order of the wire. Its
// values are nil, bool, int64, uint64 (above MaxInt64 only), float64,
// string, []byte, []any and Map.
type Map []Field

// Get is the value of key and whether it is there (the first, if repeated).
func (m Map) Get(key string) (any, bool) {
	for _, f := range m {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

// ErrNotMap is DecodeMap's error for a datagram that is not one map.
var ErrNotMap = errors.New("a datagram is one msgpack map")

// DecodeMap reads one datagram as a Map, within the limits above. Bytes
// after the map are an error.
func DecodeMap(datagram []byte) (Map, error) {
	if len(datagram) > MaxDatagram {
		return nil, fmt.Errorf("datagram of %d bytes: at most %d", len(datagram), MaxDatagram)
	}
	r := bytes.NewReader(datagram)
	d := &boundedDecoder{r: r, d: msgpack.NewDecoder(r)}
	c, err := d.d.PeekCode()
	if err != nil {
		return nil, ErrNotMap
	}
	if !isMap(c) {
		return nil, ErrNotMap
	}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the map", r.Len())
	}
	return v.(Map), nil
}

func isMap(c byte) bool {
	return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
}

// boundedDecoder walks msgpack values with the library's primitives,
// checking every claimed length against the bytes that remain.
type boundedDecoder struct {
	r *bytes.Reader
	d *msgpack.Decoder
}

func (b *boundedDecoder) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("nested more than %d deep", MaxDepth)
	}
	c, err := b.d.PeekCode()
	if err != nil {
		return nil, errTruncated
	}
	switch {
	case c == msgpcode.Nil:
		return nil, b.d.DecodeNil()
	case c == msgpcode.True || c == msgpcode.False:
		return b.d.DecodeBool()
	case c == msgpcode.Uint64:
		u, err := b.d.DecodeUint64()
		if err != nil {
			return nil, errTruncated
		}
		if u <= math.MaxInt64 {
			return int64(u), nil
		}
		return u, nil
	case msgpcode.IsFixedNum(c) || (c >= msgpcode.Uint8 && c <= msgpcode.Int64):
		n, err := b.d.DecodeInt64()
		if err != nil {
			return nil, errTruncated
		}
		return n, nil
	case c == msgpcode.Float || c == msgpcode.Double:
		f, err := b.d.DecodeFloat64()
		if err != nil {
			return nil, errTruncated
		}
		return f, nil
	case msgpcode.IsString(c) || msgpcode.IsBin(c):
		raw, err := b.bytes(MaxString)
		if err != nil {
			return nil, err
		}
		if msgpcode.IsBin(c) {
			return raw, nil
		}
		return string(raw), nil
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		n, err := b.d.DecodeArrayLen()
		if err != nil {
			return nil, errTruncated
		}
		if n > MaxArray || n > b.r.Len() {
			return nil, fmt.Errorf("an array of %d elements: at most %d", n, min(MaxArray, b.r.Len()))
		}
		out := make([]any, 0, n)
		for range n {
			v, err := b.value(depth + 1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case isMap(c):
		n, err := b.d.DecodeMapLen()
		if err != nil {
			return nil, errTruncated
		}
		if n > MaxMapKeys || 2*n > b.r.Len() {
			return nil, fmt.Errorf("a map of %d keys: at most %d", n, min(MaxMapKeys, b.r.Len()/2))
		}
		out := make(Map, 0, n)
		for range n {
			kc, err := b.d.PeekCode()
			if err != nil {
				return nil, errTruncated
			}
			if !msgpcode.IsString(kc) && !msgpcode.IsBin(kc) {
				return nil, errors.New("a map key that is not a string")
			}
			k, err := b.bytes(MaxKey)
			if err != nil {
				return nil, fmt.Errorf("a map key: %w", err)
			}
			v, err := b.value(depth + 1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", printableKey(string(k)), err)
			}
			out = append(out, Field{Key: string(k), Value: v})
		}
		return out, nil
	}
	return nil, fmt.Errorf("msgpack type 0x%02x is not used here (extension or reserved)", c)
}

var errTruncated = errors.New("truncated")

// bytes reads a string or binary value of at most limit bytes.
func (b *boundedDecoder) bytes(limit int) ([]byte, error) {
	n, err := b.d.DecodeBytesLen()
	if err != nil {
		return nil, errTruncated
	}
	if n > limit {
		return nil, fmt.Errorf("%d bytes of text: at most %d", n, limit)
	}
	if n > b.r.Len() {
		return nil, errTruncated
	}
	if n <= 0 {
		return []byte{}, nil
	}
	buf := make([]byte, n)
	if err := b.d.ReadFull(buf); err != nil {
		return nil, errTruncated
	}
	return buf, nil
}

// EncodeMap writes m as one msgpack map, keys in m's order, integers in
// their shortest form and text as msgpack str, as Python's msgpack.packb
// writes a dict.
func EncodeMap(m Map) ([]byte, error) {
	var buf bytes.Buffer
	e := msgpack.NewEncoder(&buf)
	if err := encodeValue(e, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodeValue(e *msgpack.Encoder, v any) error {
	switch v := v.(type) {
	case nil:
		return e.EncodeNil()
	case bool:
		return e.EncodeBool(v)
	case int:
		return e.EncodeInt(int64(v))
	case int64:
		return e.EncodeInt(v)
	case uint64:
		return e.EncodeUint(v)
	case float64:
		return e.EncodeFloat64(v)
	case string:
		return e.EncodeString(v)
	case []byte:
		return e.EncodeBytes(v)
	case []any:
		if err := e.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := encodeValue(e, x); err != nil {
				return err
			}
		}
		return nil
	case Map:
		if err := e.EncodeMapLen(len(v)); err != nil {
			return err
		}
		for _, f := range v {
			if err := e.EncodeString(f.Key); err != nil {
				return err
			}
			if err := encodeValue(e, f.Value); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot encode a %T", v)
}
