// Package bencode reads and writes bencode, BitTorrent's encoding of
// .torrent files and tracker answers: integers (i42e), byte strings
// (4:spam), lists (l...e) and dictionaries (d...e, byte-string keys).
//
// Decode is strict: it accepts exactly the canonical encoding, the one
// Encode writes, so decoding and re-encoding gives back the input byte for
// byte. Integers have no leading zero, no "-0", no empty digits and fit an
// int64; a string's length has no leading zero and fits the input;
// dictionary keys are byte strings in strictly increasing byte order (so
// unique); nothing may follow the value. DecodeLenient accepts one thing
// more, which real .torrent files contain: dictionary keys out of order
// (duplicates are still refused, since clients disagree on which copy
// wins). Both bound the input's size, nesting depth and number of values,
// so hostile input costs a bounded amount of memory.
//
// Every decoded Value keeps Raw, the exact bytes it was decoded from: the
// info_hash of a torrent is the SHA-1 of its info dictionary as it appears
// in the file, not of a re-encoding.
//
// The package is pure: bytes to values and back, no I/O.
package bencode

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"

	"github.com/bitclone/bitclone/codec"
)

// Limits of Decode and Encode.
const (
	// MaxSize bounds the input of Decode (and the byte strings in it).
	MaxSize = 16 << 20
	// MaxDepth bounds the nesting of lists and dictionaries: a torrent
	// needs 5 (files, path), a tracker answer 3.
	MaxDepth = 64
	// MaxValues bounds the values one input holds. A Value takes 120
	// bytes (64-bit) while "le" takes 2, so this caps what a hostile input
	// of 2 MiB can make Decode allocate at about 120 MiB of values, plus
	// the lists' growth; a torrent of 150,000 files (5 values each) fits.
	MaxValues = 1 << 20
)

// maxLengthDigits: a longer string length is not quoted in errors.
const maxLengthDigits = 20

// Kind is the type of a Value.
type Kind uint8

// The four bencode types. The zero Kind is no value at all.
const (
	KindInt Kind = iota + 1
	KindString
	KindList
	KindDict
)

func (k Kind) String() string {
	switch k {
	case KindInt:
		return "integer"
	case KindString:
		return "byte string"
	case KindList:
		return "list"
	case KindDict:
		return "dictionary"
	}
	return "no value"
}

// Value is one bencoded value. Only the field of its Kind is set.
type Value struct {
	Kind Kind
	Int  int64   // KindInt
	Str  []byte  // KindString
	List []Value // KindList
	Dict []Entry // KindDict, in input order (sorted when Decode accepted it)
	// Raw is the exact input bytes of the value, for values Decode made
	// (nil for values built in code). Str and Raw alias Decode's input:
	// do not modify the input while the values are in use.
	Raw []byte
	// Offset is where Raw starts in Decode's input.
	Offset int
}

// Entry is one key and its value in a dictionary.
type Entry struct {
	Key   string
	Value Value
}

// Int is an integer value.
func Int(n int64) Value { return Value{Kind: KindInt, Int: n} }

// String is a byte-string value holding s.
func String(s string) Value { return Value{Kind: KindString, Str: []byte(s)} }

// Bytes is a byte-string value holding b (not copied).
func Bytes(b []byte) Value { return Value{Kind: KindString, Str: b} }

// List is a list value.
func List(items ...Value) Value { return Value{Kind: KindList, List: items} }

// Dict is a dictionary value; Encode sorts its entries.
func Dict(entries ...Entry) Value { return Value{Kind: KindDict, Dict: entries} }

// Get returns the value of key in a dictionary (false if v is not a
// dictionary or has no such key).
func (v Value) Get(key string) (Value, bool) {
	for _, e := range v.Dict {
		if e.Key == key {
			return e.Value, true
		}
	}
	return Value{}, false
}

// Equal reports whether v and w hold the same data (Raw and Offset aside;
// dictionaries compare entry by entry in order).
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindInt:
		return v.Int == w.Int
	case KindString:
		return bytes.Equal(v.Str, w.Str)
	case KindList:
		return slices.EqualFunc(v.List, w.List, Value.Equal)
	case KindDict:
		return slices.EqualFunc(v.Dict, w.Dict, func(a, b Entry) bool { return a.Key == b.Key && a.Value.Equal(b.Value) })
	}
	return true
}

// Error is a decoding error: where in the input, and what was wrong or
// what was expected there.
type Error struct {
	Offset int // byte offset in the input
	Msg    string
}

func (e *Error) Error() string {
	return "bencode: byte " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// Decode decodes the one canonical bencoded value that is all of data.
func Decode(data []byte) (Value, error) { return decode(data, false) }

// DecodeLenient is Decode that also accepts dictionary keys out of order,
// as some .torrent files in the wild have them. Duplicate keys are still an
// error.
func DecodeLenient(data []byte) (Value, error) { return decode(data, true) }

func decode(data []byte, lenient bool) (Value, error) {
	if len(data) > MaxSize {
		return Value{}, &Error{Offset: MaxSize, Msg: fmt.Sprintf("input of %d bytes, at most %d", len(data), MaxSize)}
	}
	d := decoder{data: data, lenient: lenient}
	v, err := d.value(0)
	if err != nil {
		return Value{}, err
	}
	if d.pos != len(data) {
		return Value{}, d.fail("trailing data after the value (%d bytes)", len(data)-d.pos)
	}
	return v, nil
}

type decoder struct {
	data    []byte
	pos     int
	values  int
	lenient bool
}

func (d *decoder) fail(format string, a ...any) error {
	return &Error{Offset: d.pos, Msg: fmt.Sprintf(format, a...)}
}

// got names the byte at the position, for "want X, got Y".
func (d *decoder) got() string {
	if d.pos >= len(d.data) {
		return "the end of the input"
	}
	c := d.data[d.pos]
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

func (d *decoder) value(depth int) (Value, error) {
	if d.values++; d.values > MaxValues {
		return Value{}, d.fail("more than %d values", MaxValues)
	}
	start := d.pos
	var v Value
	var err error
	switch c := d.peek(); {
	case c == 'i':
		v, err = d.integer()
	case c >= '0' && c <= '9':
		v, err = d.str()
	case c == 'l' || c == 'd':
		if depth >= MaxDepth {
			return Value{}, d.fail("nested more than %d deep", MaxDepth)
		}
		if c == 'l' {
			v, err = d.list(depth)
		} else {
			v, err = d.dict(depth)
		}
	default:
		return Value{}, d.fail("want a value (i, l, d or a digit), got %s", d.got())
	}
	if err != nil {
		return Value{}, err
	}
	v.Raw, v.Offset = d.data[start:d.pos:d.pos], start
	return v, nil
}

// peek is the byte at the position, 0 at the end.
func (d *decoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// digits scans a run of decimal digits and returns it.
func (d *decoder) digits() []byte {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
	}
	return d.data[start:d.pos]
}

// integer reads i<digits>e.
func (d *decoder) integer() (Value, error) {
	start := d.pos
	d.pos++ // 'i'
	neg := d.peek() == '-'
	if neg {
		d.pos++
	}
	digitsAt := d.pos
	ds := d.digits()
	switch {
	case len(ds) == 0:
		return Value{}, d.fail("want a digit, got %s", d.got())
	case ds[0] == '0' && len(ds) > 1:
		d.pos = digitsAt
		return Value{}, d.fail("integer with a leading zero")
	case ds[0] == '0' && neg:
		d.pos = start
		return Value{}, d.fail("integer -0")
	case d.peek() != 'e':
		return Value{}, d.fail("want a digit or 'e', got %s", d.got())
	}
	n, err := strconv.ParseInt(string(d.data[start+1:d.pos]), 10, 64)
	if err != nil {
		d.pos = start
		return Value{}, d.fail("integer out of the range of int64")
	}
	d.pos++ // 'e'
	return Int(n), nil
}

// str reads <length>:<bytes>.
func (d *decoder) str() (Value, error) {
	start := d.pos
	ds := d.digits()
	switch {
	case ds[0] == '0' && len(ds) > 1:
		d.pos = start
		return Value{}, d.fail("string length with a leading zero")
	case d.peek() != ':':
		return Value{}, d.fail("want a digit or ':' in a string length, got %s", d.got())
	}
	n, err := strconv.Atoi(string(ds))
	d.pos++ // ':'
	if rest := len(d.data) - d.pos; err != nil || n > rest {
		d.pos = start
		if len(ds) > maxLengthDigits {
			return Value{}, d.fail("string length of %d digits, but only %d bytes remain", len(ds), rest)
		}
		return Value{}, d.fail("string of %s bytes, but only %d remain", ds, rest)
	}
	s := d.data[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return Bytes(s), nil
}

// list reads l<values>e.
func (d *decoder) list(depth int) (Value, error) {
	d.pos++ // 'l'
	v := Value{Kind: KindList, List: []Value{}}
	for d.peek() != 'e' {
		if d.pos >= len(d.data) {
			return Value{}, d.fail("want a value or 'e' to end the list, got %s", d.got())
		}
		item, err := d.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.List = append(v.List, item)
	}
	d.pos++ // 'e'
	return v, nil
}

// dict reads d<key value ...>e.
func (d *decoder) dict(depth int) (Value, error) {
	d.pos++ // 'd'
	v := Value{Kind: KindDict, Dict: []Entry{}}
	sorted := true
	for d.peek() != 'e' {
		keyAt := d.pos
		if c := d.peek(); c < '0' || c > '9' {
			return Value{}, d.fail("want a byte-string key or 'e' to end the dictionary, got %s", d.got())
		}
		k, err := d.str()
		if err != nil {
			return Value{}, err
		}
		key := string(k.Str)
		if n := len(v.Dict); n > 0 {
			prev := v.Dict[n-1].Key
			switch {
			case key == prev:
				d.pos = keyAt
				return Value{}, d.fail("key %s twice", codec.Quote(key))
			case key < prev && !d.lenient:
				d.pos = keyAt
				return Value{}, d.fail("key %s after %s: keys must be in sorted order", codec.Quote(key), codec.Quote(prev))
			case key < prev:
				sorted = false
			}
		}
		if d.pos >= len(d.data) {
			return Value{}, d.fail("want the value of key %s, got %s", codec.Quote(key), d.got())
		}
		val, err := d.value(depth + 1)
		if err != nil {
			return Value{}, err
		}
		v.Dict = append(v.Dict, Entry{Key: key, Value: val})
	}
	if !sorted {
		if key, ok := duplicateKey(v.Dict); ok {
			return Value{}, d.fail("key %s twice in the dictionary that ends here", codec.Quote(key))
		}
	}
	d.pos++ // 'e'
	return v, nil
}

// duplicateKey finds a key that occurs twice among entries.
func duplicateKey(entries []Entry) (string, bool) {
	keys := make([]string, len(entries))
	for i, e := range entries {
		keys[i] = e.Key
	}
	slices.Sort(keys)
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			return keys[i], true
		}
	}
	return "", false
}

// EncodeError: a value Encode cannot write.
type EncodeError struct {
	Path string // where in the value: "", "[2]", ".info.files[0]"
	Msg  string
}

func (e *EncodeError) Error() string {
	if e.Path == "" {
		return "bencode: " + e.Msg
	}
	return "bencode: " + e.Path + ": " + e.Msg
}

// Encode writes v in canonical bencode, dictionary keys sorted. It refuses
// what Decode would refuse to read back: a duplicate key, a value of no
// Kind, nesting deeper than MaxDepth.
func Encode(v Value) ([]byte, error) { return Append(nil, v) }

// Append is Encode appending to dst.
func Append(dst []byte, v Value) ([]byte, error) { return appendValue(dst, v, "", 0) }

func appendValue(dst []byte, v Value, path string, depth int) ([]byte, error) {
	switch v.Kind {
	case KindInt:
		dst = append(dst, 'i')
		dst = strconv.AppendInt(dst, v.Int, 10)
		return append(dst, 'e'), nil
	case KindString:
		return appendString(dst, v.Str), nil
	case KindList, KindDict:
		if depth >= MaxDepth {
			return nil, &EncodeError{Path: path, Msg: fmt.Sprintf("nested more than %d deep", MaxDepth)}
		}
	default:
		return nil, &EncodeError{Path: path, Msg: "a value of no kind"}
	}
	var err error
	if v.Kind == KindList {
		dst = append(dst, 'l')
		for i, item := range v.List {
			if dst, err = appendValue(dst, item, path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, 'e'), nil
	}
	entries := slices.SortedStableFunc(slices.Values(v.Dict), func(a, b Entry) int { return cmp.Compare(a.Key, b.Key) })
	dst = append(dst, 'd')
	for i, e := range entries {
		if i > 0 && entries[i-1].Key == e.Key {
			return nil, &EncodeError{Path: path, Msg: fmt.Sprintf("key %s twice", codec.Quote(e.Key))}
		}
		dst = appendString(dst, []byte(e.Key))
		if dst, err = appendValue(dst, e.Value, path+"."+e.Key, depth+1); err != nil {
			return nil, err
		}
	}
	return append(dst, 'e'), nil
}

func appendString(dst, s []byte) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	return append(dst, s...)
}
