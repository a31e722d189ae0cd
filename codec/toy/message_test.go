package toy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// hexOf writes s ("a7" + text) as msgpack fixstr bytes for the tables.
func fixstr(s string) string { return hex.EncodeToString(append([]byte{0xa0 | byte(len(s))}, s...)) }

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The article's examples, corrected ([host, port] arrays), as Python's
// msgpack.packb writes them: the bytes are spelt out by hand, not by the library.
func TestSpecExamplesEncodeAsPython(t *testing.T) {
	tests := []struct {
		name string
		msg  Message
		hex  string
	}{
		{"getpeerlist", GetPeerList(1234),
			"82" + fixstr("msgtype") + fixstr("getpeerlist") + fixstr("msgid") + "cd04d2"},
		{"peerlist", Message{Type: CmdPeerList, ReplyTo: 1234, HasReplyTo: true, Peers: []Addr{{"10.0.0.1", 12036}, {"10.0.0.2", 12456}}},
			"83" + fixstr("msgtype") + fixstr("peerlist") + fixstr("replyto") + "cd04d2" + fixstr("peers") +
				"92" + "92" + fixstr("10.0.0.1") + "cd2f04" + "92" + fixstr("10.0.0.2") + "cd30a8"},
		{"search without ttl", Message{Type: CmdSearch, ID: 1234, HasID: true, Filename: "coolstuff.txt"},
			"83" + fixstr("msgtype") + fixstr("search") + fixstr("msgid") + "cd04d2" + fixstr("filename") + fixstr("coolstuff.txt")},
		{"searchresult", Message{Type: CmdSearchResult, ReplyTo: 1234, HasReplyTo: true, AtPeer: Addr{"10.0.0.1", 12523}},
			"83" + fixstr("msgtype") + fixstr("searchresult") + fixstr("replyto") + "cd04d2" + fixstr("atpeer") + "92" + fixstr("10.0.0.1") + "cd30eb"},
		{"getfile", GetFile(1234, "coolstuff.txt", -1),
			"83" + fixstr("msgtype") + fixstr("getfile") + fixstr("msgid") + "cd04d2" + fixstr("filename") + fixstr("coolstuff.txt")},
		{"filecontents", Message{Type: CmdFileContents, ReplyTo: 1234, HasReplyTo: true, Contents: []byte("Hey, this is the contents of a cool text file")},
			"83" + fixstr("msgtype") + fixstr("filecontents") + fixstr("replyto") + "cd04d2" + fixstr("filecontents") +
				"d93c" + hex.EncodeToString([]byte("SGV5LCB0aGlzIGlzIHRoZSBjb250ZW50cyBvZiBhIGNvb2wgdGV4dCBmaWxl"))},
		{"ping", Ping(7), "82" + fixstr("msgtype") + fixstr("ping") + fixstr("msgid") + "07"},
		{"pong as the article's node sends it", Message{Type: CmdPong, ReplyTo: 7, HasReplyTo: true},
			"82" + fixstr("msgtype") + fixstr("pong") + fixstr("replyto") + "07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			got, err := Encode(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Encode:\n got %x\nwant %x", got, want)
			}
			back, err := Decode(want)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			back.Raw = nil
			if !reflect.DeepEqual(back, tt.msg) {
				t.Fatalf("Decode:\n got %+v\nwant %+v", back, tt.msg)
			}
		})
	}
}

func TestEveryMsgTypeRoundTrips(t *testing.T) {
	msgs := []Message{
		GetPeerList(1), PeerList(2, 1, []Addr{{"127.0.0.1", 9000}, {"::1", 9001}}), PeerList(3, 1, []Addr{}),
		Search(4, "cool.txt", DefaultTTL), SearchResult(5, 4, "cool.txt", Addr{"127.0.0.1", 9000}),
		GetFile(6, "cool.txt", -1), GetFile(7, "cool.txt", 3),
		FileContents(8, 7, []byte("abc"), 3, 4, 3*DefaultChunkSize+3), FileContents(9, 6, []byte{}, 0, 1, 0),
		Ping(-5), Pong(10, -5),
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		got.Raw = nil
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%s:\n got %+v\nwant %+v", m.Type, got, m)
		}
		if CommandName(b) != m.Type {
			t.Fatalf("CommandName %q, want %q", CommandName(b), m.Type)
		}
		if v := Judge(b); v.Level != Valid {
			t.Fatalf("%s: Judge %v", m.Type, v)
		}
		seen[m.Type] = true
	}
	for _, c := range Commands {
		if !seen[c] {
			t.Errorf("%s not round-tripped", c)
		}
	}
}

func TestAbsentTTLReadsAsOne(t *testing.T) {
	m, err := Decode(mustMap(t, Map{{KeyMsgType, CmdSearch}, {KeyMsgID, int64(1)}, {KeyFilename, "a"}}))
	if err != nil {
		t.Fatal(err)
	}
	if m.HasTTL || m.HopsLeft() != AbsentTTL || AbsentTTL != 1 {
		t.Fatalf("HopsLeft %d HasTTL %v", m.HopsLeft(), m.HasTTL)
	}
	if Search(1, "a", DefaultTTL).HopsLeft() != 6 {
		t.Fatal("a search's ttl is lost")
	}
}

func mustMap(t *testing.T, m Map) []byte {
	t.Helper()
	b, err := EncodeMap(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnknownMsgTypeKeepsTheMap(t *testing.T) {
	b := mustMap(t, Map{{KeyMsgType, "handshake"}, {KeyMsgID, int64(3)}, {"x", []any{int64(1), "y"}}})
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Known() || m.Type != "handshake" || len(m.Raw) != 3 {
		t.Fatalf("%+v", m)
	}
	if got := CommandName(b); got != CmdUnknown {
		t.Fatalf("CommandName %q", got)
	}
	if got, want := Describe(b), "{msgtype: handshake, msgid: 3, x: [1, y]}"; got != want {
		t.Fatalf("Describe %q, want %q", got, want)
	}
	if v := Judge(b); v.Level != Invalid || !strings.Contains(v.Text, "handshake") {
		t.Fatalf("Judge %+v", v)
	}
}

func TestExtraKeysTolerated(t *testing.T) {
	b := mustMap(t, Map{{KeyMsgType, CmdPing}, {KeyMsgID, int64(3)}, {"colour", "blue"}})
	m, err := Decode(b)
	if err != nil || m.Type != CmdPing || m.ID != 3 {
		t.Fatalf("%+v %v", m, err)
	}
	if v := Judge(b); v.Level != Lenient || !strings.Contains(v.Text, "colour") {
		t.Fatalf("Judge %+v", v)
	}
}

// Python 3 packs base64.b64encode's bytes as bin; Python 2 may pack text as bin.
func TestBinaryTextIsRead(t *testing.T) {
	b := mustMap(t, Map{{KeyMsgType, []byte(CmdFileContents)}, {KeyReplyTo, int64(1)}, {KeyFileContents, []byte("aGk=")}})
	m, err := Decode(b)
	if err != nil || string(m.Contents) != "hi" {
		t.Fatalf("%+v %v", m, err)
	}
	if v := Judge(b); v.Level != Lenient || !strings.Contains(v.Text, "msgtype: binary") {
		t.Fatalf("Judge %+v", v)
	}
}

func TestMalformedDatagrams(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		key  string // the key the error names, or ~ and what the error says
	}{
		{"empty", nil, "~one msgpack map"},
		{"not a map", unhex(t, "93010203"), "~one msgpack map"},
		{"truncated map", unhex(t, "82a76d7367747970"), "~truncated"},
		{"map claims 2^32 keys", unhex(t, "dfffffffff"), "~a map of 4294967295 keys"},
		{"string claims 2^32 bytes", unhex(t, "81a1 78 dbffffffff"), "~4294967295 bytes of text"},
		{"array claims 2^32", unhex(t, "81a178 ddffffffff"), "~an array of 4294967295"},
		{"trailing bytes", append(mustMap(t, Map{{KeyMsgType, CmdPing}, {KeyMsgID, int64(1)}}), 0), "~1 bytes after the map"},
		{"integer key", unhex(t, "810101"), "~not a string"},
		{"extension", unhex(t, "81a178 d40100"), "~0xd4"},
		{"too deep", unhex(t, "81a178 919191919191919191919190"), "~nested more than"},
		{"too long", make([]byte, MaxDatagram+1), "~at most 65507"},
		{"no msgtype", mustMap(t, Map{{KeyMsgID, int64(1)}}), KeyMsgType},
		{"msgtype a number", mustMap(t, Map{{KeyMsgType, int64(1)}}), KeyMsgType},
		{"msgid text", mustMap(t, Map{{KeyMsgType, CmdPing}, {KeyMsgID, "7"}}), KeyMsgID},
		{"msgid huge", mustMap(t, Map{{KeyMsgType, CmdPing}, {KeyMsgID, uint64(1 << 63)}}), KeyMsgID},
		{"request without msgid", mustMap(t, Map{{KeyMsgType, CmdPing}}), KeyMsgID},
		{"reply without replyto", mustMap(t, Map{{KeyMsgType, CmdPong}, {KeyMsgID, int64(1)}}), KeyReplyTo},
		{"port out of range", mustMap(t, Map{{KeyMsgType, CmdPeerList}, {KeyReplyTo, int64(1)}, {KeyPeers, []any{[]any{"h", int64(70000)}}}}), "peers[0]"},
		{"port text", mustMap(t, Map{{KeyMsgType, CmdSearchResult}, {KeyReplyTo, int64(1)}, {KeyAtPeer, []any{"h", "80"}}}), KeyAtPeer},
		{"article's tuple typo", mustMap(t, Map{{KeyMsgType, CmdPeerList}, {KeyReplyTo, int64(1)}, {KeyPeers, []any{"10.0.0.2:12456"}}}), "peers[0]"},
		{"peers not an array", mustMap(t, Map{{KeyMsgType, CmdPeerList}, {KeyReplyTo, int64(1)}, {KeyPeers, "x"}}), KeyPeers},
		{"search without filename", mustMap(t, Map{{KeyMsgType, CmdSearch}, {KeyMsgID, int64(1)}}), KeyFilename},
		{"ttl negative", mustMap(t, Map{{KeyMsgType, CmdSearch}, {KeyMsgID, int64(1)}, {KeyFilename, "a"}, {KeyTTL, int64(-1)}}), KeyTTL},
		{"not base64", mustMap(t, Map{{KeyMsgType, CmdFileContents}, {KeyReplyTo, int64(1)}, {KeyFileContents, "!!"}}), KeyFileContents},
		{"chunk beyond chunks", mustMap(t, Map{{KeyMsgType, CmdFileContents}, {KeyReplyTo, int64(1)}, {KeyFileContents, ""}, {KeyChunk, int64(2)}, {KeyChunks, int64(2)}, {KeySize, int64(5)}}), KeyChunk},
		{"chunks without size", mustMap(t, Map{{KeyMsgType, CmdFileContents}, {KeyReplyTo, int64(1)}, {KeyFileContents, ""}, {KeyChunks, int64(2)}}), KeyChunks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			var ke *KeyError
			if want, ok := strings.CutPrefix(tt.key, "~"); ok {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q, want %q", err, want)
				}
			} else if tt.key != "" && (!errors.As(err, &ke) || ke.Key != tt.key) {
				t.Fatalf("error %q does not name %s", err, tt.key)
			}
			if CommandName(tt.in) == "" {
				t.Fatal("no command name")
			}
			if Judge(tt.in).Level != Invalid {
				t.Fatal("judged not Invalid")
			}
		})
	}
}

func TestEncodeRefusesWhatDecodeWould(t *testing.T) {
	peers := make([]Addr, MaxPeers+1)
	for i := range peers {
		peers[i] = Addr{"h", 1}
	}
	if _, err := Encode(PeerList(1, 1, peers)); err == nil {
		t.Fatal("too many peers encoded")
	}
	if _, err := Encode(FileContents(1, 1, make([]byte, MaxChunkSize), 0, 1, MaxChunkSize)); err != nil {
		t.Fatalf("a full chunk does not fit: %v", err)
	}
}
