package pex

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/codec/internal/codectest"
)

// sharing is a Context in o that shares one piece: "abc", under abcHash.
func sharing(t *testing.T, o Options) Context {
	h := mustHash(t, abcHash)
	return Context{Options: o, Shared: h, Piece: func(q Hash) ([]byte, bool) {
		if q != h {
			return nil, false
		}
		return []byte("abc"), true
	}}
}

const (
	v6loop   = "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01"
	v4mapped = "00 00 00 00 00 00 00 00 00 00 ff ff 7f 00 00 01"
)

func TestParseHumanForm(t *testing.T) {
	for _, tc := range []struct {
		line   string
		little string
		big    string
	}{
		{"ask " + abcHash, "21 00 00 00 00 " + abcHash, "00 00 00 21 00 " + abcHash},
		{"ask  " + strings.ToUpper(abcHash) + " ", "21 00 00 00 00 " + abcHash, "00 00 00 21 00 " + abcHash},
		{"give " + abcHash, "24 00 00 00 01 " + abcHash + " 61 62 63", "00 00 00 24 01 " + abcHash + " 61 62 63"},
		{"give " + abcHash + " (3 bytes)", "24 00 00 00 01 " + abcHash + " 61 62 63", "00 00 00 24 01 " + abcHash + " 61 62 63"},
		{"give " + abcHash + " de ad", "23 00 00 00 01 " + abcHash + " de ad", "00 00 00 23 01 " + abcHash + " de ad"},
		{"peer [::1]:8100 127.0.0.1:8101", "25 00 00 00 02 " + v6loop + " a4 1f " + v4mapped + " a5 1f", "00 00 00 25 02 " + v6loop + " 1f a4 " + v4mapped + " 1f a5"},
		{"peer [::ffff:127.0.0.1]:8101", "13 00 00 00 02 " + v4mapped + " a5 1f", "00 00 00 13 02 " + v4mapped + " 1f a5"},
		{"peer", "01 00 00 00 02", "00 00 00 01 02"},
		{"raw 01 00 00 00 02", "01 00 00 00 02", "01 00 00 00 02"},
		{"raw 0100000003 (type 3)", "01 00 00 00 03", "01 00 00 00 03"},
	} {
		for _, o := range []struct {
			o    Options
			wire string
		}{{little, tc.little}, {big, tc.big}} {
			got, err := Parse(tc.line, sharing(t, o.o))
			if err != nil || !bytes.Equal(got, codectest.Unhex(t, o.wire)) {
				t.Errorf("%s: Parse(%q) = % x, %v; want %s", o.o.Order, tc.line, got, err, o.wire)
			}
		}
	}
}

func TestParseRefuses(t *testing.T) {
	small := Options{PieceSize: 2}
	for _, tc := range []struct {
		line string
		ctx  Context
		err  string
	}{
		{"", Context{}, "empty line: type ask, give, peer, raw"},
		{"ask", Context{}, "ask: want one SHA-256 (64 hex digits)"},
		{"ask 3fa2", Context{}, "ask: want 64 hex digits (a SHA-256), got 4 characters"},
		{"ask " + abcHash + " " + abcHash, Context{}, "ask: want one SHA-256 (64 hex digits)"},
		{"give", Context{}, "give: want the SHA-256 of a piece we share (64 hex digits)"},
		{"give " + abcHash, Context{}, "give: we share no piece ba7816bf…"},
		{"give " + strings.Repeat("0", 64), sharing(t, little), "give: we share no piece 00000000…"},
		{"give " + abcHash + " 0g", Context{}, "give: piece: want hex bytes, e.g. 00 01 02: not a hex digit at 2"},
		{"give " + abcHash, sharing(t, small), "give: a give is a type byte, a SHA-256 and the piece: a piece of 3 bytes, at most 2"},
		{"peer localhost:8100", Context{}, "peer: localhost:8100: want [IPv6]:port or IPv4:port, e.g. [::1]:8100 127.0.0.1:8101"},
		{"peer [::1]", Context{}, "peer: [::1]: want [IPv6]:port or IPv4:port, e.g. [::1]:8100 127.0.0.1:8101"},
		{"peer [fe80::1%eth0]:8100", Context{}, "peer: an address with a zone cannot be sent: an in6_addr has none: [fe80::1%eth0]:8100"},
		{"peer [::1]:1 [::1]:2 [::1]:3", Context{Options: small}, "peer: a peer list is a type byte and 18 bytes per peer: 3 peers, at most 1 in one message"},
		{"raw", Context{}, "raw: no bytes: type raw and hex, e.g. raw 01 00 00 00 02"},
		{"raw", Context{Options: big}, "raw: no bytes: type raw and hex, e.g. raw 00 00 00 01 02"},
		{"raw 0", Context{}, "raw: want hex bytes, e.g. 01 00 00 00 02: odd number of digits"},
		{"ping\x1b[2J", Context{}, `ping\x1b[2J: unknown command: type ask, give, peer, raw`},
		{"peer \x1b[2J", Context{}, `peer: \x1b[2J: want [IPv6]:port or IPv4:port, e.g. [::1]:8100 127.0.0.1:8101`},
	} {
		b, err := Parse(tc.line, tc.ctx)
		var ie *InputError
		if !errors.As(err, &ie) || err.Error() != tc.err || b != nil {
			t.Errorf("Parse(%.50q) = %v, want %q", tc.line, err, tc.err)
		}
	}
}

func TestDescribeAndSummary(t *testing.T) {
	h := mustHash(t, abcHash)
	full := make([]byte, DefaultPieceSize)
	nine := peers(t, "[::1]:8100", "127.0.0.1:8101", "[::1]:3", "[::1]:4", "[::1]:5", "[::1]:6", "[::1]:7", "[::1]:8", "[::1]:9")
	for _, o := range []Options{little, big} {
		for _, tc := range []struct {
			frame             []byte
			describe, summary string
		}{
			{AppendAsk(nil, h, o), "ask " + abcHash, "ask ba7816bf…"},
			{must(AppendGive(nil, HashOf(full), full, o)), "give " + HashOf(full).String() + " (131072 bytes)", "give " + HashOf(full).Short() + " (131072 bytes)"},
			{must(AppendPeers(nil, nine[:2], o)), "peer [::1]:8100 127.0.0.1:8101", "peer [::1]:8100 127.0.0.1:8101"},
			{must(AppendPeers(nil, nine, o)), "peer [::1]:8100 127.0.0.1:8101 [::1]:3 [::1]:4 [::1]:5 [::1]:6 [::1]:7 [::1]:8 [::1]:9",
				"peer [::1]:8100 127.0.0.1:8101 [::1]:3 [::1]:4 [::1]:5 [::1]:6 [::1]:7 [::1]:8 … (9 peers)"},
			{must(AppendPeers(nil, nil, o)), "peer", "peer"},
		} {
			if got := Describe(tc.frame, Context{Options: o}); got != tc.describe {
				t.Errorf("%s: Describe = %q, want %q", o.Order, got, tc.describe)
			}
			if got := Summary(tc.frame, o); got != tc.summary {
				t.Errorf("%s: Summary = %q, want %q", o.Order, got, tc.summary)
			}
		}
	}
	for _, tc := range []struct {
		wire string
		o    Options
		want string
	}{
		{"01 00 00 00 03", little, "raw 01 00 00 00 03 (type 3: not in the spec, skipped; the course's node reads it as a peer list)"},
		{"00 00 00 01 02", little, "raw 00 00 00 01 02 (the size prefix reads right big-endian: the peer speaks the other byte order)"},
		{"01 00 00 00 02", big, "raw 01 00 00 00 02 (the size prefix reads right little-endian: the peer speaks the other byte order)"},
		{"02 00 00 00 02 00", little, "raw 02 00 00 00 02 00"},
		{"00 00 00", little, "raw 00 00 00"},
	} {
		if got := Describe(codectest.Unhex(t, tc.wire), Context{Options: tc.o}); got != tc.want {
			t.Errorf("Describe(%s) = %q, want %q", tc.wire, got, tc.want)
		}
	}
	if got := string(Text(AppendAsk(nil, h, little))); got != "ask ba7816bf…" {
		t.Errorf("Text: %q", got)
	}
}

// Describe's words read back to the bytes (a give's when we share its
// piece), in both byte orders.
func TestDescribeReadsBack(t *testing.T) {
	h := mustHash(t, abcHash)
	for _, o := range []Options{little, big} {
		ctx := sharing(t, o)
		for _, frame := range [][]byte{
			AppendAsk(nil, h, o),
			must(AppendGive(nil, h, []byte("abc"), o)),
			must(AppendPeers(nil, peers(t, "[::1]:8100", "127.0.0.1:8101", "[2001:db8::1]:0"), o)),
			must(AppendPeers(nil, nil, o)),
			codectest.Unhex(t, "01 00 00 00 07"),
		} {
			words := Describe(frame, ctx)
			if back, err := Parse(words, ctx); err != nil || !bytes.Equal(back, frame) {
				t.Errorf("%s: Parse(%q) = % x, %v; want % x", o.Order, words, back, err, frame)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	zeros := strings.Repeat("0", 64)
	full := strings.Repeat("00", 4)
	small := sharing(t, Options{PieceSize: 3})
	for _, tc := range []struct {
		line  string
		ctx   Context
		level Level
		text  string
	}{
		{"ask " + abcHash, Context{}, Valid, ""},
		{"give " + abcHash, small, Valid, ""},
		{"peer [::1]:8100 127.0.0.1:8101", Context{}, Valid, ""},
		{"peer", Context{}, Valid, ""},
		{"raw 01 00 00 00 02", Context{}, Valid, ""},
		{"raw 00 00 00 01 02", Context{Options: big}, Valid, ""},
		{"give " + abcHash, sharing(t, little), Lenient, "give: a piece of 3 bytes: the course's node asserts a full piece of 131072"},
		{"peer [::1]:0", Context{}, Lenient, "peer: [::1]:0 cannot be dialled"},
		{"peer [::]:8100", Context{}, Lenient, "peer: [::]:8100 cannot be dialled"},
		{"give " + zeros + " " + full, Context{Options: Options{PieceSize: 4}}, Invalid, "give: the piece does not hash to 00000000…: the receiver discards it"},
		{"raw 01 00 00 00 03", Context{}, Invalid, "type: 0 ask, 1 give or 2 peer: type 3 is skipped (the course's node reads it as a peer list)"},
		{"raw 00 00 00 01 02", Context{}, Invalid, "size prefix: 16777216 is larger than a give can be (33 + 131072): the stream is refused: it reads right big-endian"},
		{"raw 02 00 00 00 02", Context{}, Invalid, "size prefix: a little-endian uint32 counting the bytes after it, type byte included (the size prefix disagrees with the bytes: size 2, 1 bytes follow)"},
		{"raw 00 00 00 00", Context{}, Invalid, "size prefix: a little-endian uint32 counting the bytes after it, type byte included (shorter than a size prefix and a type byte: 4 bytes)"},
		{"raw 02 00 00 00 00 00", Context{}, Invalid, "ask: an ask is a type byte and a SHA-256: size 33, got 2"},
		{"raw 02 00 00 00 02 00", Context{}, Invalid, "peer: a peer list is a type byte and 18 bytes per peer: size 2 is not 1 + 18n (n at most 7283)"},
		{"ask 3fa2", Context{}, Invalid, "ask: want 64 hex digits (a SHA-256), got 4 characters"},
	} {
		if got := Validate(tc.line, tc.ctx); got != (Verdict{Level: tc.level, Text: tc.text}) {
			t.Errorf("Validate(%.60q) = %+v, want %v %q", tc.line, got, tc.level, tc.text)
		}
	}
}

// Every template is a line Parse reads and Validate finds valid (give's
// when a piece is shared under ctx.Shared), one per word, in both orders.
func TestTemplates(t *testing.T) {
	for _, ctx := range []Context{{}, {Options: big}, sharing(t, Options{PieceSize: 3}), sharing(t, Options{Order: Big, PieceSize: 3})} {
		tpl := Templates(ctx)
		if len(tpl) != len(Words) {
			t.Errorf("%d templates for %d words", len(tpl), len(Words))
		}
		for i, line := range tpl {
			if !strings.HasPrefix(line, Words[i]+" ") {
				t.Errorf("template %q does not start with %q", line, Words[i])
			}
			v := Validate(line, ctx)
			if Words[i] == CmdGive && ctx.Piece == nil {
				if v.Level != Invalid {
					t.Errorf("give without a shared piece: %+v", v)
				}
				continue
			}
			if v.Level != Valid {
				t.Errorf("template %q: %+v", line, v)
			}
		}
	}
}

func TestComplete(t *testing.T) {
	ctx := sharing(t, little)
	for _, tc := range []struct {
		word string
		want []string
	}{
		{"a", []string{"ask " + abcHash}},
		{"g", []string{"give " + abcHash}},
		{"p", []string{"peer [::1]:8100"}},
		{"r", []string{"raw 01 00 00 00 02"}},
		{"", Templates(ctx)},
		{"x", nil},
		{"ask 3", nil},
	} {
		if got := Complete(tc.word, ctx); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Complete(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestFraming(t *testing.T) {
	h := mustHash(t, abcHash)
	for _, o := range []Options{little, big, {PieceSize: 3}} {
		f := Framing(o)
		stream := append(AppendAsk(nil, h, o), must(AppendGive(nil, h, []byte("abc"), o))...)
		r := f.NewReader(bytes.NewReader(stream))
		ask, err := r.Next()
		if err != nil || f.Command(ask) != CmdAsk || string(f.Text(ask)) != "ask ba7816bf…" || f.Overhead != 0 {
			t.Errorf("%+v: ask: %v, %q, %q", o, err, f.Command(ask), f.Text(ask))
		}
		give, err := r.Next()
		if err != nil || f.Command(give) != CmdGive || string(f.Text(give)) != "give ba7816bf… (3 bytes)" {
			t.Errorf("%+v: give: %v, %q, %q", o, err, f.Command(give), f.Text(give))
		}
	}
	// A 4-byte-piece wire refuses a give of 131072 bytes: the options are bound.
	r := Framing(Options{PieceSize: 4}).NewReader(bytes.NewReader(must(AppendGive(nil, h, make([]byte, 5), Options{PieceSize: 5}))))
	if _, err := r.Next(); !errors.Is(err, ErrTooLong) {
		t.Errorf("Framing ignores the piece size: %v", err)
	}
}

func TestCommandNameAndClass(t *testing.T) {
	for wire, want := range map[string]string{
		"21 00 00 00 00": CmdAsk, "00 00 00 21 01": CmdGive, "01 00 00 00 02": CmdPeer,
		"01 00 00 00 03": CmdUnknown, "01 00 00 00 ff": CmdUnknown, "00 00 00 00": CmdUnknown, "": CmdUnknown,
	} {
		if got := CommandName(codectest.Unhex(t, wire)); got != want {
			t.Errorf("CommandName(%s) = %q, want %q", wire, got, want)
		}
	}
	for cmd, want := range map[string]Class{CmdAsk: ClassData, CmdGive: ClassData, CmdPeer: ClassData, CmdUnknown: ClassUnknown, "ping": ClassUnknown} {
		if got := ClassOf(cmd); got != want {
			t.Errorf("ClassOf(%q) = %d, want %d", cmd, got, want)
		}
	}
	for i, c := range Commands {
		if Type(i).Command() != c {
			t.Errorf("Commands[%d] = %q, type %d is %q", i, c, i, Type(i).Command())
		}
	}
}
