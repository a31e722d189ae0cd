package bt

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/bittorrent"
)

// handshakeWith is a handshake whose peer_id is id (of any length).
func handshakeWith(id string) []byte {
	b := append([]byte{wire.PstrLen}, wire.Protocol...)
	b = append(b, make([]byte, wire.ReservedSize+wire.HashSize)...)
	return append(b, id...)
}

// The reader delimits the handshake by what follows it: 68 bytes unless
// the messages after it read right only from the 68th byte (a 19-byte
// peer_id), and never by waiting for bytes that are not there.
func TestReaderDelimitsTheHandshake(t *testing.T) {
	bitfield := []byte{0, 0, 0, 2, 5, 0xfc} // 6 pieces
	unchoke := []byte{0, 0, 0, 1, 1}
	keepAlive := []byte{0, 0, 0, 0}
	id20, id19, id20zero := "-FB0001-fakebtseeder", "-FB0001-fakebtseede", "-FB0001-fakebtseed\x00\x00"
	tests := []struct {
		name   string
		stream []byte
		size   int
	}{
		{"20-byte peer_id alone", handshakeWith(id20), 68},
		{"20-byte peer_id, bitfield", append(handshakeWith(id20), bitfield...), 68},
		{"20-byte peer_id ending in zeros, bitfield", append(handshakeWith(id20zero), bitfield...), 68},
		{"20-byte peer_id, keep-alive", append(handshakeWith(id20), keepAlive...), 68},
		{"19-byte peer_id, bitfield", append(handshakeWith(id19), bitfield...), 67},
		{"19-byte peer_id, unchoke alone", append(handshakeWith(id19), unchoke...), 67},
		{"19-byte peer_id, keep-alive alone", append(handshakeWith(id19), keepAlive...), 67},
		{"19-byte peer_id, bitfield, unchoke", append(append(handshakeWith(id19), bitfield...), unchoke...), 67},
	}
	for _, tt := range tests {
		r := newReader(bytes.NewReader(tt.stream), 6)
		f, err := r.Next()
		if err != nil || len(f) != tt.size {
			t.Errorf("%s: %d bytes, %v; want %d", tt.name, len(f), err, tt.size)
			continue
		}
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%s: after the handshake: %v (%x)", tt.name, err, f)
				break
			}
			if _, _, err := decode(f); err != nil {
				t.Errorf("%s: after the handshake: %x: %v", tt.name, f, err)
			}
		}
	}
}

// A handshake of another pstr length is one frame, 49+pstrlen bytes, and
// says what it is; a message longer than the checker reads ends the stream
// in words.
func TestReaderOtherHandshakesAndLimits(t *testing.T) {
	other := append([]byte{4}, "BT/2"...)
	other = append(other, make([]byte, 48)...)
	r := newReader(bytes.NewReader(append(other, 0, 0, 0, 0)), 6)
	f, err := r.Next()
	if err != nil || len(f) != 53 {
		t.Fatalf("%d bytes, %v", len(f), err)
	}
	if cmd, _, err := decode(f); cmd != wire.CmdHandshake || err == nil || !strings.Contains(err.Error(), `pstr "BT/2"`) {
		t.Errorf("%s %v", cmd, err)
	}
	long := append(handshakeWith("-FB0001-fakebtseeder"), 0, 3, 0, 0)
	r = newReader(bytes.NewReader(long), 6)
	r.Next()
	_, err = r.Next()
	if got := framing(6).ReadError(err); got != "it sent a message longer than a block of 144 KiB and its header: 196608 bytes" {
		t.Errorf("read error %q", got)
	}
}

// The peer's bytes reach the report raw where they are text and escaped
// where they are an id: a binary peer_id is shown as \xNN, and the text
// report escapes the rest once.
func TestWordsEscapePeerBytes(t *testing.T) {
	got := shown(handshakeWith("-qB4250-\x1b[2J\x00\xff456789"), wire.AppendHave(nil, 3))
	if want := `handshake 0000000000000000000000000000000000000000 -qB4250-\x1b[2J\x00\xff456789 · have 3`; got != want {
		t.Errorf("shown %q, want %q", got, want)
	}
	r := &check.Report{Target: "x", Outcomes: []check.Outcome{{Name: "handshake", Result: check.Result{Verdict: check.Fail, Got: got}}}}
	var text bytes.Buffer
	r.WriteText(&text, Names(), "", check.TextOptions{})
	if strings.Contains(text.String(), "\x1b") {
		t.Errorf("text:\n%s", text.String())
	}
}
