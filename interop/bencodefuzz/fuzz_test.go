// Package bencodefuzz holds bitclone's strict bencode decoder against
// anacrolix/torrent's, a decoder that real BitTorrent traffic has shaped.
package bencodefuzz

import (
	"math/big"
	"reflect"
	"strings"
	"testing"

	abencode "github.com/anacrolix/torrent/bencode"

	"github.com/bitclone/bitclone/codec/bencode"
)

// strictRules are what our decoder refuses and anacrolix's takes: the
// rules of BEP 3 it does not enforce (leading zeros, -0, sorted and unique
// keys), integers past int64, and our bounds on size and depth.
var strictRules = []string{
	"leading zero", "integer -0", "out of the range of int64",
	"twice", "sorted order", "nested more than", "more than", "bytes, at most",
}

// FuzzAgainstAnacrolix: every input we accept, anacrolix accepts too and
// reads as the same value; every input only anacrolix accepts breaks one of
// the strict rules, and our error says which. The lenient mode (.torrent
// files with keys out of order) reads alike whatever both accept.
func FuzzAgainstAnacrolix(f *testing.F) {
	for _, s := range []string{
		"i42e", "i-7e", "i0e", "4:spam", "0:", "le", "de", "l4:spami42ee",
		"d3:bar4:spam3:fooi42ee", "d1:ad1:bl1:ceee", "i03e", "i-0e", "03:abc",
		"d1:b0:1:a0:e", "d1:a0:1:a0:e", "i9223372036854775808e", "lll", "i1ex",
		"d4:infod6:lengthi3e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, ourErr := bencode.Decode(data)
		var theirs any
		theirErr := abencode.Unmarshal(data, &theirs)
		if ourErr == nil {
			if theirErr != nil {
				t.Fatalf("%q: we accept, anacrolix refuses: %v", data, theirErr)
			}
			if want, got := plain(ours), normal(theirs); !reflect.DeepEqual(want, got) {
				t.Fatalf("%q: we read %#v, anacrolix %#v", data, want, got)
			}
			return
		}
		if theirErr == nil && !breaksStrictRule(ourErr) {
			t.Fatalf("%q: anacrolix accepts it, we refuse it for no strict rule: %v", data, ourErr)
		}
		// The lenient mode .torrent files are read in takes keys out of
		// order, which anacrolix refuses when it decodes into an
		// interface; whatever both take, both read alike.
		if lenient, err := bencode.DecodeLenient(data); err == nil {
			if theirErr != nil && !strings.Contains(ourErr.Error(), "sorted order") {
				t.Fatalf("%q: our lenient mode accepts, anacrolix refuses: %v", data, theirErr)
			}
			if want, got := plain(lenient), normal(theirs); theirErr == nil && !reflect.DeepEqual(want, got) {
				t.Fatalf("%q: our lenient mode reads %#v, anacrolix %#v", data, want, got)
			}
		}
	})
}

func breaksStrictRule(err error) bool {
	for _, r := range strictRules {
		if strings.Contains(err.Error(), r) {
			return true
		}
	}
	return false
}

// plain is our value as anacrolix decodes into an interface: int64,
// string, []any and map[string]any.
func plain(v bencode.Value) any {
	switch v.Kind {
	case bencode.KindInt:
		return v.Int
	case bencode.KindString:
		return string(v.Str)
	case bencode.KindList:
		l := []any{}
		for _, x := range v.List {
			l = append(l, plain(x))
		}
		return l
	case bencode.KindDict:
		m := map[string]any{}
		for _, e := range v.Dict {
			m[e.Key] = plain(e.Value)
		}
		return m
	}
	return nil
}

// normal makes anacrolix's value comparable with plain's: empty lists and
// dictionaries as empty, not nil, and big integers that fit as int64.
func normal(v any) any {
	switch x := v.(type) {
	case []any:
		l := []any{}
		for _, e := range x {
			l = append(l, normal(e))
		}
		return l
	case map[string]any:
		m := map[string]any{}
		for k, e := range x {
			m[k] = normal(e)
		}
		return m
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
	}
	return v
}
