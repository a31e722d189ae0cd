package toy

import (
	"bytes"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	ctx := Context{ID: 1234}
	spec := func(m Message) []byte {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		line string
		want []byte
	}{
		{"{msgtype: search, filename: cool.txt}", unhex(t, "82"+fixstr("msgtype")+fixstr("search")+fixstr("filename")+fixstr("cool.txt"))},
		// The article's own notation, quotes and tuples included.
		{"{'msgtype':'getpeerlist','msgid':1234}", unhex(t, "82"+fixstr("msgtype")+fixstr("getpeerlist")+fixstr("msgid")+"cd04d2")},
		{"{'msgtype':'peerlist','replyto':1234,'peers':((10.0.0.1,12036),(10.0.0.2, 12456))}",
			spec(Message{Type: CmdPeerList, ReplyTo: 1234, HasReplyTo: true, Peers: []Addr{{"10.0.0.1", 12036}, {"10.0.0.2", 12456}}})},
		{"{msgtype: searchresult, replyto: 1234, atpeer: [::1, 12523]}",
			spec(Message{Type: CmdSearchResult, ReplyTo: 1234, HasReplyTo: true, AtPeer: Addr{"::1", 12523}})},
		{`{msgtype: search, msgid: 1234, filename: "2024"}`, unhex(t, "83"+fixstr("msgtype")+fixstr("search")+fixstr("msgid")+"cd04d2"+fixstr("filename")+fixstr("2024"))},
		{`{msgtype: search, msgid: 1234, filename: "cool stuff.txt"}`, spec(Message{Type: CmdSearch, ID: 1234, HasID: true, Filename: "cool stuff.txt"})},
		{"{}", unhex(t, "80")},
		{"{x: [], y: nil, z: true}", unhex(t, "83 a178 90 a179 c0 a17a c3")},
		{"ping", spec(Ping(1234))},
		{"  getpeerlist ", spec(GetPeerList(1234))},
		{"search cool stuff.txt", spec(Search(1234, "cool stuff.txt", DefaultTTL))},
		{"getfile cool.txt", spec(GetFile(1234, "cool.txt", -1))},
		{"raw 81 a1 78 01", unhex(t, "81a17801")},
	}
	for _, tt := range tests {
		got, err := Parse(tt.line, ctx)
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%q:\n got %x\nwant %x", tt.line, got, tt.want)
		}
	}
	if b, _ := Parse("search a", Context{TTL: 2}); mustDecode(t, b).TTL != 2 {
		t.Error("the context's ttl is not used")
	}
}

func mustDecode(t *testing.T, b []byte) Message {
	t.Helper()
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"", "empty line"},
		{"{msgtype search}", "want :"},
		{"{msgtype: search", "want , or }"},
		{"{msgtype: [1, 2}", "want , or ]"},
		{"{a: 'open}", "quote is not closed"},
		{"{a: 1} x", "after the value"},
		{"{a: }", "value is missing"},
		{"search", "no filename"},
		{"ping now", "takes nothing more"},
		{"raw 8", "odd number"},
		{"raw", "no bytes"},
		{"pong", "unknown command"},
		{"{a: " + strings.Repeat("[", MaxDepth+2) + "}", "nested"},
		{"search " + strings.Repeat("x", MaxFilename+1), "at most"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.line, Context{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.line, err, tt.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	long := strings.Repeat("x", MaxShownText+10)
	tests := []struct {
		in   []byte
		want string
	}{
		{mustEncode(t, Search(7, "cool.txt", 6)), "{msgtype: search, msgid: 7, filename: cool.txt, ttl: 6}"},
		{mustEncode(t, PeerList(8, 7, []Addr{{"::1", 9000}})), "{msgtype: peerlist, msgid: 8, replyto: 7, peers: [[::1, 9000]]}"},
		{mustEncode(t, FileContents(9, 8, make([]byte, 5000), 0, 2, 9000)), "{msgtype: filecontents, msgid: 9, replyto: 8, filecontents: <5000 bytes>, chunk: 0, chunks: 2, size: 9000}"},
		{mustMap(t, Map{{KeyMsgType, "x\x1b[31m"}, {"n", "7"}, {"q", `a"b\c`}, {"k:", "a:b"}}), `{msgtype: "x\x1b[31m", n: "7", q: "a\"b\\c", "k:": a:b}`},
		{mustMap(t, Map{{"t", long}}), "{t: " + long[:MaxShownText] + "... (106 bytes)}"},
		{unhex(t, "93010203"), "raw 93 01 02 03 (a datagram is one msgpack map)"},
	}
	for _, tt := range tests {
		if got := Describe(tt.in); got != tt.want {
			t.Errorf("Describe\n got %s\nwant %s", got, tt.want)
		}
	}
	// Cut text keeps whole characters.
	for pad := range 2 { // one of the two puts a character across the cut
		m := Map{{"p", strings.Repeat("x", pad+1)}}
		for i := range 20 {
			m = append(m, Field{string(rune('a' + i)), strings.Repeat("é", 40)})
		}
		if got := Describe(mustMap(t, m)); !utf8.ValidString(got) {
			t.Errorf("cut mid-character: %q", got)
		}
	}
	// A datagram full of short keys is cut to MaxDescribe.
	var big Map
	for i := range MaxMapKeys {
		big = append(big, Field{strings.Repeat("k", 40) + string(rune('A'+i%26)), int64(i)})
	}
	b := mustMap(t, big)
	got := Describe(b)
	if len(got) > MaxDescribe+40 || !strings.HasSuffix(got, "("+strconv.Itoa(len(b))+" bytes)") {
		t.Errorf("not cut: %d bytes: %s", len(got), got)
	}
}

func mustEncode(t *testing.T, m Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The log's words read back as the same map (filecontents aside).
func TestDescribeParsesBack(t *testing.T) {
	for _, m := range []Message{GetPeerList(1), PeerList(2, 1, []Addr{{"::1", 1}, {"a b", 2}}), Search(3, `we"ird\name:, {x}`, 6),
		SearchResult(4, 3, "7", Addr{"h", 65535}), GetFile(5, "nil", 0), Ping(-1), Pong(2, -1)} {
		b := mustEncode(t, m)
		back, err := Parse(Describe(b), Context{})
		if err != nil {
			t.Fatalf("%s: %v", Describe(b), err)
		}
		if !bytes.Equal(back, b) {
			t.Fatalf("%s:\n got %x\nwant %x", Describe(b), back, b)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		line  string
		level Level
		text  string
	}{
		{"ping", Valid, ""},
		{"{msgtype: pong, replyto: 1}", Valid, ""},
		{"{msgtype: search, msgid: 1, filename: a, ttl: 3}", Valid, ""},
		{"{msgtype: ping, msgid: 1, colour: blue}", Lenient, "colour"},
		{"{msgtype: ping}", Invalid, "msgid: missing"},
		{"{msgtype: ping, msgid: '7'}", Invalid, "msgid: want an integer"},
		{"{msgtype: peerlist, replyto: 1, peers: [[h, 70000]]}", Invalid, "peers[0]: port"},
		{"{msgtype: hello, msgid: 1}", Invalid, "hello"},
		{"raw 93", Invalid, "one msgpack map"},
		{"{msgtype", Invalid, "want :"},
	}
	for _, tt := range tests {
		v := Validate(tt.line, Context{})
		if v.Level != tt.level || !strings.Contains(v.Text, tt.text) {
			t.Errorf("%q: %+v, want level %d with %q", tt.line, v, tt.level, tt.text)
		}
	}
}

func TestCompleteAndTemplates(t *testing.T) {
	if got := Complete("se"); !reflect.DeepEqual(got, []string{"search cool.txt"}) {
		t.Errorf("Complete(se) = %q", got)
	}
	if got := Complete("{"); len(got) != 3 {
		t.Errorf("Complete({) = %q", got)
	}
	for _, tpl := range Templates() {
		if v := Validate(tpl, Context{ID: 1}); v.Level != Valid {
			t.Errorf("template %q: %+v", tpl, v)
		}
	}
}

func TestFramingAndClasses(t *testing.T) {
	f := Framing()
	b := mustEncode(t, Ping(1))
	if f.Command(b) != CmdPing || string(f.Text(b)) != Describe(b) {
		t.Fatalf("Framing: %q %q", f.Command(b), f.Text(b))
	}
	// The values are peer.Class's (codec imports no peer): 2 keepalive, 3 data.
	for c, want := range map[string]Class{CmdPing: 2, CmdPong: 2, CmdGetPeerList: 3, CmdPeerList: 3,
		CmdSearch: 3, CmdSearchResult: 3, CmdGetFile: 3, CmdFileContents: 3} {
		if got := ClassOf(c); got != want {
			t.Errorf("ClassOf(%s) = %d, want %d", c, got, want)
		}
	}
	if ClassOf(CmdUnknown) != ClassUnknown {
		t.Error("unknown has a class")
	}
}
