package bitclone

import (
	"bytes"
	"net/netip"
	"strconv"
)

// Limits of the dialect.
const (
	MaxLine  = 128 << 10 // longest line in bytes, terminator excluded
	MaxAddrs = 1000      // most entries in one addr
)

// Values this peer puts in its version message.
const (
	ProtocolVersion = 3 // the version field for project 3
	ServiceP2P      = 1 // services bit: peer-to-peer connectivity
)

// The command names, field 0 of every line.
const (
	CmdVersion = "version"
	CmdVerack  = "verack"
	CmdGetAddr = "getaddr"
	CmdAddr    = "addr"
	CmdPing    = "ping"
	CmdPong    = "pong"
	CmdReject  = "reject"
	CmdMessage = "message"
)

// Message is one BitClone message.
type Message interface {
	Command() string            // CmdVersion, CmdVerack, ...
	AppendWire(b []byte) []byte // appends the exact wire bytes, CRLF included
}

// Version opens the handshake.
type Version struct {
	Version   uint64
	Services  uint64
	Time      int64 // unix seconds
	Recipient netip.AddrPort
	Sender    netip.AddrPort
	Nonce     uint64 // never 0
	UserAgent string // never empty
	BlockID   uint64
}

// Verack acknowledges a version; Nonce is meant to echo the version's nonce.
type Verack struct{ Nonce uint64 }

// GetAddr asks for the peer's known addresses.
type GetAddr struct{}

// AddrEntry is one known peer: when it was last active and where it listens.
type AddrEntry struct {
	Time int64 // unix seconds
	Addr netip.AddrPort
}

// Addr carries known peers; the count on the wire is len(Entries). Parse
// gives nil Entries for a count of 0.
type Addr struct{ Entries []AddrEntry }

// Ping asks for a Pong with the same nonce.
type Ping struct{ Nonce uint64 }

// Pong answers a Ping.
type Pong struct{ Nonce uint64 }

// Reject reports a bad message or request. Code is 400–499 for client
// errors, 500–599 for server errors.
type Reject struct {
	Code           int
	Reason, Detail string
}

// Info is the diagnostic `message` command (its Command is CmdMessage).
// Code is 100–199.
type Info struct {
	Code            int
	Summary, Detail string
}

func (Version) Command() string { return CmdVersion }
func (Verack) Command() string  { return CmdVerack }
func (GetAddr) Command() string { return CmdGetAddr }
func (Addr) Command() string    { return CmdAddr }
func (Ping) Command() string    { return CmdPing }
func (Pong) Command() string    { return CmdPong }
func (Reject) Command() string  { return CmdReject }
func (Info) Command() string    { return CmdMessage }

// AppendWire appends the canonical wire form, CRLF included. Like every
// AppendWire it writes the values without judging them: Check says whether
// they will read back as the same message.
func (v Version) AppendWire(b []byte) []byte {
	b = append(b, CmdVersion...)
	b = appendUint(b, v.Version)
	b = appendUint(b, v.Services)
	b = appendInt(b, v.Time)
	b = appendAddr(append(b, '|'), v.Recipient)
	b = appendAddr(append(b, '|'), v.Sender)
	b = appendUint(b, v.Nonce)
	b = appendText(b, v.UserAgent)
	b = appendUint(b, v.BlockID)
	return append(b, crlf...)
}

// AppendWire appends the wire form, CRLF included.
func (v Verack) AppendWire(b []byte) []byte { return appendNonce(b, CmdVerack, v.Nonce) }

// AppendWire appends the wire form, CRLF included.
func (p Ping) AppendWire(b []byte) []byte { return appendNonce(b, CmdPing, p.Nonce) }

// AppendWire appends the wire form, CRLF included.
func (p Pong) AppendWire(b []byte) []byte { return appendNonce(b, CmdPong, p.Nonce) }

// AppendWire appends the wire form, CRLF included.
func (GetAddr) AppendWire(b []byte) []byte {
	return append(append(b, CmdGetAddr...), crlf...)
}

// AppendWire appends the wire form, CRLF included.
func (a Addr) AppendWire(b []byte) []byte {
	b = append(b, CmdAddr...)
	b = appendUint(b, uint64(len(a.Entries)))
	for _, e := range a.Entries {
		b = appendInt(b, e.Time)
		b = appendAddr(append(b, '|'), e.Addr)
	}
	return append(b, crlf...)
}

// AppendWire appends the wire form, CRLF included.
func (r Reject) AppendWire(b []byte) []byte {
	return appendCoded(b, CmdReject, r.Code, r.Reason, r.Detail)
}

// AppendWire appends the wire form, CRLF included.
func (m Info) AppendWire(b []byte) []byte {
	return appendCoded(b, CmdMessage, m.Code, m.Summary, m.Detail)
}

// Format is the human form used in logs and on the command line: the wire
// bytes without CRLF.
func Format(m Message) string {
	return string(bytes.TrimSuffix(m.AppendWire(make([]byte, 0, 64)), crlf))
}

var crlf = []byte("\r\n")

func appendUint(b []byte, n uint64) []byte {
	return strconv.AppendUint(append(b, '|'), n, 10)
}

func appendInt(b []byte, n int64) []byte {
	return strconv.AppendInt(append(b, '|'), n, 10)
}

func appendText(b []byte, s string) []byte {
	return append(append(b, '|'), s...)
}

func appendNonce(b []byte, cmd string, nonce uint64) []byte {
	b = appendUint(append(b, cmd...), nonce)
	return append(b, crlf...)
}

func appendCoded(b []byte, cmd string, code int, text, detail string) []byte {
	b = appendInt(append(b, cmd...), int64(code))
	b = appendText(b, text)
	b = appendText(b, detail)
	return append(b, crlf...)
}
