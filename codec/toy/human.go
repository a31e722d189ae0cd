package toy

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/human"
)

// Limits on what Describe writes for the log.
const (
	// MaxDescribe is the longest Describe line; a longer one is cut and
	// ends with the datagram's size.
	MaxDescribe = 512
	// MaxShownText is the longest text value shown whole.
	MaxShownText = 96
)

// Context is what Parse knows beyond the line: the msgid a shortcut gets
// and the ttl of a search. The zero value sends msgid 0 and DefaultTTL.
type Context struct {
	ID  int64
	TTL int // 0: DefaultTTL
}

// InputError says what is wrong with a typed line.
type InputError = human.InputError

// Words are the command words a user types, in the order help lists them.
var Words = []string{"{...}", CmdPing, CmdGetPeerList, CmdSearch, CmdGetFile, human.WordRaw}

// Hint is what an empty command line suggests typing.
const Hint = "ping, search cool.txt, getfile cool.txt, {msgtype: ping, msgid: 1} or raw 81 a7 ..."

// Parse turns a typed line into one datagram: a relaxed map sent as typed
// (keys in the order given; nothing added), or a shortcut that builds the
// message with ctx's msgid: ping, getpeerlist, search NAME (with ctx's
// ttl), getfile NAME, raw HEX. Errors are *InputError.
func Parse(line string, ctx Context) ([]byte, error) {
	line = strings.TrimSpace(line)
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	fail := func(format string, a ...any) ([]byte, error) {
		return nil, &InputError{Word: codec.PrintableString(word), Reason: fmt.Sprintf(format, a...)}
	}
	encode := func(m Message) ([]byte, error) {
		b, err := Encode(m)
		if err != nil {
			return fail("%v", err)
		}
		return b, nil
	}
	name := func() (string, error) {
		if rest == "" {
			return "", fmt.Errorf("no filename: type %s NAME", word)
		}
		if len(rest) > MaxFilename {
			return "", fmt.Errorf("filename of %d bytes: at most %d", len(rest), MaxFilename)
		}
		return rest, nil
	}
	switch {
	case line == "":
		return nil, &InputError{Reason: "empty line: type " + Hint}
	case strings.HasPrefix(line, "{"):
		word = "map"
		v, err := ParseRelaxed(line)
		if err != nil {
			return fail("%v", err)
		}
		m, ok := v.(Map)
		if !ok {
			return fail("want one {key: value, ...} map")
		}
		b, err := EncodeMap(m)
		if err != nil {
			return fail("%v", err)
		}
		if len(b) > MaxDatagram {
			return fail("%d bytes: a datagram is at most %d", len(b), MaxDatagram)
		}
		return b, nil
	case word == CmdPing || word == CmdGetPeerList:
		if rest != "" {
			return fail("takes nothing more")
		}
		if word == CmdPing {
			return encode(Ping(ctx.ID))
		}
		return encode(GetPeerList(ctx.ID))
	case word == CmdSearch:
		n, err := name()
		if err != nil {
			return fail("%v", err)
		}
		ttl := ctx.TTL
		if ttl == 0 {
			ttl = DefaultTTL
		}
		return encode(Search(ctx.ID, n, ttl))
	case word == CmdGetFile:
		n, err := name()
		if err != nil {
			return fail("%v", err)
		}
		return encode(GetFile(ctx.ID, n, -1))
	case word == human.WordRaw:
		b, err := human.ParseHex(rest, "81 a7 6d 73 67 74 79 70 65 a4 70 69 6e 67")
		if err != nil {
			return fail("%v", err)
		}
		if len(b) == 0 {
			return fail("no bytes: type raw and hex")
		}
		if len(b) > MaxDatagram {
			return fail("%d bytes: a datagram is at most %d", len(b), MaxDatagram)
		}
		return b, nil
	}
	return fail("unknown command: type %s", strings.Join(Words, ", "))
}

// Describe shows one datagram as the log does: the relaxed map in the
// wire's key order, text escaped for a terminal, filecontents as its byte
// count, long text cut, the line at most MaxDescribe bytes. A datagram
// that is not a map within the limits is raw hex with the reason.
func Describe(datagram []byte) string {
	m, err := DecodeMap(datagram)
	if err != nil {
		return human.DescribeRaw(datagram, err.Error())
	}
	var sb strings.Builder
	writeValue(&sb, m, "")
	s := sb.String()
	if len(s) > MaxDescribe {
		s = cutUTF8(s, MaxDescribe) + " ... (" + strconv.Itoa(len(datagram)) + " bytes)"
	}
	return s
}

// Text is Describe as bytes: the log line of a datagram.
func Text(datagram []byte) []byte { return []byte(Describe(datagram)) }

func writeValue(sb *strings.Builder, v any, key string) {
	if sb.Len() > MaxDescribe {
		return // Describe cuts the line: stop growing it
	}
	switch v := v.(type) {
	case Map:
		sb.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(shownText(f.Key, true))
			sb.WriteString(": ")
			writeValue(sb, f.Value, f.Key)
		}
		sb.WriteByte('}')
	case []any:
		sb.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				sb.WriteString(", ")
			}
			writeValue(sb, x, "")
		}
		sb.WriteByte(']')
	case string:
		if key == KeyFileContents {
			sb.WriteString(contentsSummary(v))
			return
		}
		sb.WriteString(shownText(v, false))
	case []byte:
		if key == KeyFileContents {
			sb.WriteString(contentsSummary(string(v)))
			return
		}
		sb.WriteString("<" + strconv.Itoa(len(v)) + " bytes binary>")
	case nil:
		sb.WriteString("nil")
	case bool:
		sb.WriteString(strconv.FormatBool(v))
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		sb.WriteString(strconv.FormatUint(v, 10))
	case float64:
		sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
}

// contentsSummary is base64 filecontents as the byte count they carry.
func contentsSummary(b64 string) string {
	if data, err := base64.StdEncoding.DecodeString(b64); err == nil {
		return "<" + strconv.Itoa(len(data)) + " bytes>"
	}
	return "<" + strconv.Itoa(len(b64)) + " bytes, not base64>"
}

// shownText is text bare when ParseRelaxed reads it back as the same
// text (a value may hold a colon, as ::1 does; a key may not), else
// quoted; escaped for a terminal, and cut after MaxShownText.
func shownText(s string, key bool) string {
	cut := ""
	if len(s) > MaxShownText {
		cut = "... (" + strconv.Itoa(len(s)) + " bytes)"
		s = cutUTF8(s, MaxShownText)
	}
	if bareSafe(s, key) {
		return s + cut
	}
	return `"` + codec.PrintableString(quoteEscaper.Replace(s)) + `"` + cut
}

// cutUTF8 is at most n bytes of s, not splitting a character.
func cutUTF8(s string, n int) string {
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// quoteEscaper escapes what ends or escapes a quoted text; Printable then
// escapes control bytes as \xNN, \n, \t and \r, which ParseRelaxed reads back.
var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

func bareSafe(s string, key bool) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 && c != ' ' || c > 0x7e || strings.IndexByte(`{}[](),'"\`, c) >= 0 || c == ':' && key {
			return false
		}
	}
	_, isText := bareValue(s).(string)
	return isText
}

// CommandName names a datagram's msgtype for statistics: one of the eight,
// or CmdUnknown, never peer-chosen text.
func CommandName(datagram []byte) string {
	m, err := DecodeMap(datagram)
	if err != nil {
		return CmdUnknown
	}
	v, _ := m.Get(KeyMsgType)
	if t, ok := text(v); ok && isKnown(t) {
		return t
	}
	return CmdUnknown
}

// Commands are the eight msgtypes, requests before their replies.
var Commands = []string{CmdGetPeerList, CmdPeerList, CmdSearch, CmdSearchResult, CmdGetFile, CmdFileContents, CmdPing, CmdPong}

// Level grades a typed line or a datagram against the spec (peer.Level's order).
type Level = human.Level

const (
	Valid   = human.Valid   // what the article (with bitclone's keys) says
	Lenient = human.Lenient // bitclone reads it; the article's node may not
	Invalid = human.Invalid // not a message of the dialect
)

// Verdict is Validate's and Judge's answer.
type Verdict = human.Verdict

// Validate judges a typed line: Invalid when Parse refuses it, else Judge.
func Validate(line string, ctx Context) Verdict {
	b, err := Parse(line, ctx)
	if err != nil {
		return Verdict{Level: Invalid, Text: err.Error()}
	}
	return Judge(b)
}

// Judge grades one datagram: Invalid when Decode refuses it or its
// msgtype is not one of the eight (the article's node crashes on it);
// Lenient when it carries keys neither the article nor bitclone uses,
// or text as binary; else Valid.
func Judge(datagram []byte) Verdict {
	m, err := Decode(datagram)
	if err != nil {
		return Verdict{Level: Invalid, Text: err.Error()}
	}
	if !m.Known() {
		return Verdict{Level: Invalid, Text: KeyMsgType + ": " + codec.Quote(m.Type) + " is not one of " + strings.Join(Commands, ", ") + " (the article's node crashes on it)"}
	}
	var extra []string
	for _, f := range m.Raw {
		if !knownKey(m.Type, f.Key) {
			extra = append(extra, codec.PrintableString(f.Key))
		}
		if _, bin := f.Value.([]byte); bin && f.Key != KeyFileContents {
			return Verdict{Level: Lenient, Text: codec.PrintableString(f.Key) + ": binary where the article sends text"}
		}
	}
	if len(extra) > 0 {
		return Verdict{Level: Lenient, Text: m.Type + ": keys the protocol does not use (ignored): " + strings.Join(extra, ", ")}
	}
	return Verdict{Level: Valid}
}

// knownKey says whether key belongs in a message of msgtype t.
func knownKey(t, key string) bool {
	switch key {
	case KeyMsgType, KeyMsgID:
		return true
	case KeyReplyTo:
		return IsReply(t)
	case KeyPeers:
		return t == CmdPeerList
	case KeyFilename:
		return t == CmdSearch || t == CmdGetFile || t == CmdSearchResult
	case KeyTTL:
		return t == CmdSearch
	case KeyAtPeer:
		return t == CmdSearchResult
	case KeyFileContents, KeyChunks, KeySize:
		return t == CmdFileContents
	case KeyChunk:
		return t == CmdFileContents || t == CmdGetFile
	}
	return false
}

// Class groups commands for colour, in the order and with the values of
// peer.Class (the dialect value converts it: peer.Class(toy.ClassOf(c))).
type Class uint8

// The classes the toy node uses; the values match peer.Class.
const (
	ClassUnknown   Class = 0 // not one of the eight: the peer deviates
	ClassKeepalive Class = 2 // ping, pong
	ClassData      Class = 3 // peer lists, searches and their results, files
)

// ClassOf is the colour class of a command name (CommandName's).
func ClassOf(command string) Class {
	switch command {
	case CmdPing, CmdPong:
		return ClassKeepalive
	case CmdGetPeerList, CmdPeerList, CmdSearch, CmdSearchResult, CmdGetFile, CmdFileContents:
		return ClassData
	}
	return ClassUnknown
}

// Templates are whole lines for completing a command word.
func Templates() []string {
	return []string{
		CmdPing,
		CmdGetPeerList,
		CmdSearch + " cool.txt",
		CmdGetFile + " cool.txt",
		"{msgtype: search, msgid: 1, filename: cool.txt, ttl: 6}",
		"{msgtype: searchresult, msgid: 2, replyto: 1, atpeer: [127.0.0.1, 9000], filename: cool.txt}",
		"{msgtype: peerlist, msgid: 2, replyto: 1, peers: [[127.0.0.1, 9000]]}",
		human.WordRaw + " 82 a7 6d 73 67 74 79 70 65 a4 70 69 6e 67 a5 6d 73 67 69 64 01",
	}
}

// Complete is what Tab offers for the start of a typed line.
func Complete(word string) []string { return human.Complete(word, Templates()) }

// FramingFuncs is what a datagram transport needs of the toy dialect, as
// plain funcs (codec imports no peer). A frame is a whole datagram: there
// is no reader, the transport reads datagrams.
type FramingFuncs struct {
	Command func(datagram []byte) string // CommandName
	Text    func(datagram []byte) []byte // the datagram in words
}

// Framing returns the toy dialect's framing.
func Framing() FramingFuncs { return FramingFuncs{Command: CommandName, Text: Text} }
