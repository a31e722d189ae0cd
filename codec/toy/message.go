package toy

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"

	"github.com/bitclone/bitclone/codec"
)

// The msgtypes; CmdUnknown names any other.
const (
	CmdGetPeerList  = "getpeerlist"
	CmdPeerList     = "peerlist"
	CmdSearch       = "search"
	CmdSearchResult = "searchresult"
	CmdGetFile      = "getfile"
	CmdFileContents = "filecontents"
	CmdPing         = "ping"
	CmdPong         = "pong"
	CmdUnknown      = "unknown"
)

// The keys, exactly as the article's node writes them; ttl, chunk, chunks
// and size are bitclone's.
const (
	KeyMsgType      = "msgtype"
	KeyMsgID        = "msgid"
	KeyReplyTo      = "replyto"
	KeyPeers        = "peers"
	KeyFilename     = "filename"
	KeyAtPeer       = "atpeer"
	KeyFileContents = "filecontents"
	KeyTTL          = "ttl"
	KeyChunk        = "chunk"
	KeyChunks       = "chunks"
	KeySize         = "size"
)

// Limits and defaults of the messages.
const (
	// MaxPeers is the most peers in one peerlist.
	MaxPeers = 256
	// MaxHost is the longest host in a [host, port] pair (a DNS name).
	MaxHost = 255
	// MaxFilename is the longest filename.
	MaxFilename = 255
	// DefaultTTL is how many hops a search travels unless told.
	DefaultTTL = 6
	// AbsentTTL is the ttl of a search without one: an old node's search
	// is answered but not passed on, so it cannot start a storm.
	AbsentTTL = 1
	// MaxTTL is the largest ttl read; a node may lower it further.
	MaxTTL = 255
	// MaxChunks is the most chunks of one file.
	MaxChunks = 1 << 16
	// MaxFileSize is the largest file size a filecontents may announce.
	MaxFileSize = int64(MaxChunks) * MaxChunkSize
)

// Addr is a [host, port] pair.
type Addr struct {
	Host string
	Port uint16
}

func (a Addr) String() string {
	return "[" + codec.PrintableString(a.Host) + ", " + strconv.Itoa(int(a.Port)) + "]"
}

// Message is one datagram, typed. Which fields a msgtype uses is in the
// package comment; the Has flags tell a key that is absent from a zero.
type Message struct {
	Type       string // msgtype; a peer's own text when not Known
	ID         int64  // msgid
	HasID      bool
	ReplyTo    int64 // replyto, in replies
	HasReplyTo bool

	Peers    []Addr // peerlist
	Filename string // search, searchresult, getfile
	TTL      int    // search: hops left
	HasTTL   bool
	AtPeer   Addr   // searchresult
	Contents []byte // filecontents, decoded from base64

	Chunk     int // getfile: the chunk asked for; filecontents: the chunk sent
	HasChunk  bool
	Chunks    int   // filecontents: how many chunks the file has
	Size      int64 // filecontents: the file's size in bytes
	HasChunks bool  // chunks and size are there (both or neither)

	// Raw is the whole map as decoded (nil for a Message built to send).
	Raw Map
}

// Known says whether m's msgtype is one of the eight.
func (m Message) Known() bool { return isKnown(m.Type) }

func isKnown(t string) bool {
	switch t {
	case CmdGetPeerList, CmdPeerList, CmdSearch, CmdSearchResult, CmdGetFile, CmdFileContents, CmdPing, CmdPong:
		return true
	}
	return false
}

// IsReply says whether msgtype t answers another message.
func IsReply(t string) bool {
	switch t {
	case CmdPeerList, CmdSearchResult, CmdFileContents, CmdPong:
		return true
	}
	return false
}

// HopsLeft is a search's ttl, AbsentTTL when it has none.
func (m Message) HopsLeft() int {
	if !m.HasTTL {
		return AbsentTTL
	}
	return m.TTL
}

// KeyError says which key of a datagram is wrong.
type KeyError struct {
	Key    string // printable
	Reason string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Reason }

func keyErr(key, format string, a ...any) error {
	return &KeyError{Key: printableKey(key), Reason: fmt.Sprintf(format, a...)}
}

func printableKey(k string) string { return codec.PrintableString(k) }

// ErrNoMsgType is Decode's error for a map without a msgtype.
var ErrNoMsgType error = &KeyError{Key: KeyMsgType, Reason: "missing"}

// Decode reads one datagram. A msgtype it does not know is no error: the
// Message is not Known, and Raw holds the map. Keys it does not know are
// kept in Raw and otherwise ignored. A known key with a wrong value, or a
// request without its msgid or its filename, is a *KeyError.
func Decode(datagram []byte) (Message, error) {
	m, err := DecodeMap(datagram)
	if err != nil {
		return Message{}, err
	}
	return FromMap(m)
}

// FromMap types a decoded map, as Decode does.
func FromMap(raw Map) (Message, error) {
	msg := Message{Raw: raw}
	var err error
	v, ok := raw.Get(KeyMsgType)
	if !ok {
		return msg, ErrNoMsgType
	}
	t, ok := text(v)
	if !ok {
		return msg, keyErr(KeyMsgType, "want text, got %s", typeName(v))
	}
	msg.Type = t
	if msg.ID, msg.HasID, err = optInt(raw, KeyMsgID, math.MinInt64, math.MaxInt64); err != nil {
		return msg, err
	}
	if msg.ReplyTo, msg.HasReplyTo, err = optInt(raw, KeyReplyTo, math.MinInt64, math.MaxInt64); err != nil {
		return msg, err
	}
	if !msg.Known() {
		return msg, nil
	}
	if !IsReply(msg.Type) && !msg.HasID {
		return msg, keyErr(KeyMsgID, "missing: a %s needs one to be answered", msg.Type)
	}
	if IsReply(msg.Type) && !msg.HasReplyTo {
		return msg, keyErr(KeyReplyTo, "missing: a %s answers a msgid", msg.Type)
	}
	switch msg.Type {
	case CmdPeerList:
		v, ok := raw.Get(KeyPeers)
		if !ok {
			return msg, keyErr(KeyPeers, "missing")
		}
		list, ok := v.([]any)
		if !ok {
			return msg, keyErr(KeyPeers, "want an array of [host, port], got %s", typeName(v))
		}
		if len(list) > MaxPeers {
			return msg, keyErr(KeyPeers, "%d peers: at most %d", len(list), MaxPeers)
		}
		msg.Peers = make([]Addr, 0, len(list))
		for i, p := range list {
			a, err := addr(p)
			if err != nil {
				return msg, keyErr(KeyPeers+"["+strconv.Itoa(i)+"]", "%v", err)
			}
			msg.Peers = append(msg.Peers, a)
		}
	case CmdSearch, CmdGetFile, CmdSearchResult:
		var ok bool
		if msg.Filename, ok, err = optText(raw, KeyFilename, MaxFilename); err != nil {
			return msg, err
		}
		if !ok && msg.Type != CmdSearchResult {
			return msg, keyErr(KeyFilename, "missing")
		}
	}
	switch msg.Type {
	case CmdSearch:
		var ttl int64
		if ttl, msg.HasTTL, err = optInt(raw, KeyTTL, 0, MaxTTL); err != nil {
			return msg, err
		}
		msg.TTL = int(ttl)
	case CmdSearchResult:
		v, ok := raw.Get(KeyAtPeer)
		if !ok {
			return msg, keyErr(KeyAtPeer, "missing")
		}
		if msg.AtPeer, err = addr(v); err != nil {
			return msg, keyErr(KeyAtPeer, "%v", err)
		}
	case CmdGetFile:
		var c int64
		if c, msg.HasChunk, err = optInt(raw, KeyChunk, 0, MaxChunks-1); err != nil {
			return msg, err
		}
		msg.Chunk = int(c)
	case CmdFileContents:
		return fileContents(msg)
	}
	return msg, nil
}

func fileContents(msg Message) (Message, error) {
	raw := msg.Raw
	v, ok := raw.Get(KeyFileContents)
	if !ok {
		return msg, keyErr(KeyFileContents, "missing")
	}
	// Text, or binary: Python 3's base64.b64encode gives bytes, which
	// msgpack packs as bin.
	var b64 string
	switch v := v.(type) {
	case string:
		b64 = v
	case []byte:
		b64 = string(v)
	default:
		return msg, keyErr(KeyFileContents, "want base64 text, got %s", typeName(v))
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return msg, keyErr(KeyFileContents, "not base64: %v", err)
	}
	msg.Contents = data
	var c, n int64
	var hasN, hasSize bool
	if c, msg.HasChunk, err = optInt(raw, KeyChunk, 0, MaxChunks-1); err != nil {
		return msg, err
	}
	if n, hasN, err = optInt(raw, KeyChunks, 1, MaxChunks); err != nil {
		return msg, err
	}
	if msg.Size, hasSize, err = optInt(raw, KeySize, 0, MaxFileSize); err != nil {
		return msg, err
	}
	msg.Chunk, msg.Chunks = int(c), int(n)
	if hasN != hasSize {
		return msg, keyErr(KeyChunks, "chunks and size come together")
	}
	msg.HasChunks = hasN
	if hasN {
		if msg.Chunk >= msg.Chunks {
			return msg, keyErr(KeyChunk, "%d of %d chunks", msg.Chunk, msg.Chunks)
		}
		if int64(len(data)) > msg.Size {
			return msg, keyErr(KeySize, "%d bytes, less than this chunk's %d", msg.Size, len(data))
		}
	}
	return msg, nil
}

// text is a string value; msgpack bin is read as text too (Python 2
// writes str as raw bytes).
func text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

func optText(raw Map, key string, limit int) (string, bool, error) {
	v, ok := raw.Get(key)
	if !ok {
		return "", false, nil
	}
	s, ok := text(v)
	if !ok {
		return "", false, keyErr(key, "want text, got %s", typeName(v))
	}
	if len(s) > limit {
		return "", false, keyErr(key, "%d bytes: at most %d", len(s), limit)
	}
	return s, true, nil
}

func optInt(raw Map, key string, lo, hi int64) (int64, bool, error) {
	v, ok := raw.Get(key)
	if !ok {
		return 0, false, nil
	}
	n, err := intIn(v, lo, hi)
	if err != nil {
		return 0, false, keyErr(key, "%v", err)
	}
	return n, true, nil
}

func intIn(v any, lo, hi int64) (int64, error) {
	switch v := v.(type) {
	case int64:
		if v < lo || v > hi {
			return 0, fmt.Errorf("%d out of range %d to %d", v, lo, hi)
		}
		return v, nil
	case uint64:
		return 0, fmt.Errorf("%d out of range %d to %d", v, lo, hi)
	}
	return 0, fmt.Errorf("want an integer, got %s", typeName(v))
}

// addr reads a [host, port] array.
func addr(v any) (Addr, error) {
	pair, ok := v.([]any)
	if !ok || len(pair) != 2 {
		return Addr{}, fmt.Errorf("want [host, port], got %s", typeName(v))
	}
	host, ok := text(pair[0])
	if !ok {
		return Addr{}, fmt.Errorf("host: want text, got %s", typeName(pair[0]))
	}
	if host == "" || len(host) > MaxHost {
		return Addr{}, fmt.Errorf("host: %d bytes: want 1 to %d", len(host), MaxHost)
	}
	port, err := intIn(pair[1], 1, math.MaxUint16)
	if err != nil {
		return Addr{}, fmt.Errorf("port: %v", err)
	}
	return Addr{Host: host, Port: uint16(port)}, nil
}

// typeName names a decoded value's msgpack type for an error.
func typeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case bool:
		return "a boolean"
	case int64, uint64:
		return "an integer"
	case float64:
		return "a float"
	case string:
		return "text"
	case []byte:
		return "binary"
	case []any:
		return "an array of " + strconv.Itoa(len(v))
	case Map:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}

// ToMap is m as the map Encode writes: msgtype, msgid, replyto, then the
// msgtype's keys, in the article's order; bitclone's keys last.
func (m Message) ToMap() Map {
	out := Map{{KeyMsgType, m.Type}}
	if m.HasID {
		out = append(out, Field{KeyMsgID, m.ID})
	}
	if m.HasReplyTo {
		out = append(out, Field{KeyReplyTo, m.ReplyTo})
	}
	pair := func(a Addr) []any { return []any{a.Host, int64(a.Port)} }
	switch m.Type {
	case CmdPeerList:
		peers := make([]any, 0, len(m.Peers))
		for _, p := range m.Peers {
			peers = append(peers, pair(p))
		}
		out = append(out, Field{KeyPeers, peers})
	case CmdSearch:
		out = append(out, Field{KeyFilename, m.Filename})
		if m.HasTTL {
			out = append(out, Field{KeyTTL, int64(m.TTL)})
		}
	case CmdSearchResult:
		out = append(out, Field{KeyAtPeer, pair(m.AtPeer)})
		if m.Filename != "" {
			out = append(out, Field{KeyFilename, m.Filename})
		}
	case CmdGetFile:
		out = append(out, Field{KeyFilename, m.Filename})
		if m.HasChunk {
			out = append(out, Field{KeyChunk, int64(m.Chunk)})
		}
	case CmdFileContents:
		out = append(out, Field{KeyFileContents, base64.StdEncoding.EncodeToString(m.Contents)})
		if m.HasChunk {
			out = append(out, Field{KeyChunk, int64(m.Chunk)})
		}
		if m.HasChunks {
			out = append(out, Field{KeyChunks, int64(m.Chunks)}, Field{KeySize, m.Size})
		}
	}
	return out
}

// Encode writes m as one datagram. It refuses what Decode would refuse
// (a datagram over MaxDatagram, too many peers, a long filename), so a
// node never sends what it could not read.
func Encode(m Message) ([]byte, error) {
	b, err := EncodeMap(m.ToMap())
	if err != nil {
		return nil, err
	}
	if _, err := Decode(b); err != nil {
		return nil, err
	}
	return b, nil
}

// The builders: each message with its keys, to send.

func GetPeerList(id int64) Message { return Message{Type: CmdGetPeerList, ID: id, HasID: true} }
func Ping(id int64) Message        { return Message{Type: CmdPing, ID: id, HasID: true} }
func Pong(id, replyTo int64) Message {
	return Message{Type: CmdPong, ID: id, HasID: true, ReplyTo: replyTo, HasReplyTo: true}
}
func PeerList(id, replyTo int64, peers []Addr) Message {
	return Message{Type: CmdPeerList, ID: id, HasID: true, ReplyTo: replyTo, HasReplyTo: true, Peers: peers}
}

// Search is a search for filename that travels ttl hops.
func Search(id int64, filename string, ttl int) Message {
	return Message{Type: CmdSearch, ID: id, HasID: true, Filename: filename, TTL: ttl, HasTTL: true}
}
func SearchResult(id, replyTo int64, filename string, at Addr) Message {
	return Message{Type: CmdSearchResult, ID: id, HasID: true, ReplyTo: replyTo, HasReplyTo: true, Filename: filename, AtPeer: at}
}

// GetFile asks for filename; chunk < 0 asks for none (the first, as the
// article's node would).
func GetFile(id int64, filename string, chunk int) Message {
	return Message{Type: CmdGetFile, ID: id, HasID: true, Filename: filename, Chunk: max(chunk, 0), HasChunk: chunk >= 0}
}

// FileContents is chunk of a file of size bytes cut into chunks.
func FileContents(id, replyTo int64, data []byte, chunk, chunks int, size int64) Message {
	return Message{Type: CmdFileContents, ID: id, HasID: true, ReplyTo: replyTo, HasReplyTo: true,
		Contents: data, Chunk: chunk, HasChunk: true, Chunks: chunks, Size: size, HasChunks: true}
}
