// Package fakebt is a BitTorrent seeder for tests, written from the peer
// wire spec's bytes without codec/bittorrent, so that a bug in the codec
// cannot hide in both sides of a test. It answers the handshake, sends its
// bitfield, unchokes a peer that is interested and serves block requests
// from memory; and it can behave like the peers that DIALECTS.md and the
// course describe: quirks are switched on one by one.
package fakebt

import (
	"encoding/binary"
	"io"
	"net"
	"sync"

	"github.com/bitclone/bitclone/peer/nodetest"
)

// The handshake's parts, from the spec.
const (
	Protocol      = "BitTorrent protocol"
	HandshakeSize = 1 + len(Protocol) + 8 + 20 + 20 // 49+len(pstr)
)

// Message ids, from the spec.
const (
	Choke         = 0
	Unchoke       = 1
	Interested    = 2
	NotInterested = 3
	Have          = 4
	Bitfield      = 5
	Request       = 6
	Piece         = 7
	Cancel        = 8
)

// MaxRequest is the largest block the seeder serves: a request for more
// drops the connection (unless Quirks.ServeOversize).
const MaxRequest = 128 << 10

// maxMessage bounds what the seeder reads of one message: ours are short.
const maxMessage = 1 << 20

// Quirks are the habits a Seeder can copy, each switched on alone.
type Quirks struct {
	// WrongInfoHash: its handshake names another torrent (ours, every bit
	// flipped) than the one asked for.
	WrongInfoHash bool
	// AcceptAnyInfoHash answers a handshake for any info_hash, echoing it,
	// and serves as if it were ours.
	AcceptAnyInfoHash bool
	// HandshakeFirst sends its handshake (and bitfield) as soon as it
	// accepts, before it reads ours (legal for a peer of one torrent); it
	// still closes when ours names another torrent.
	HandshakeFirst bool
	// ShortPeerID sends a peer_id of 19 bytes: the handshake is 67 bytes.
	ShortPeerID bool
	// ReservedBits sets the extension protocol, fast extension and DHT
	// bits, as real clients do (legal).
	ReservedBits bool
	// NoBitfield sends no bitfield, a have for each piece instead (legal).
	NoBitfield bool
	// LazyBitfield leaves every other piece out of the bitfield and sends
	// a have for each of them after it (legal: a lazy bitfield).
	LazyBitfield bool
	// BitfieldExtra adds this many zero bytes to the bitfield (negative:
	// drops bytes off its end): the wrong length.
	BitfieldExtra int
	// HaveBeforeBitfield sends a have before its bitfield, where the
	// bitfield may no longer come.
	HaveBeforeBitfield bool
	// SpareBits sets the spare bits of the bitfield's last byte.
	SpareBits bool
	// ServeWhileChoked serves requests before it has unchoked the peer.
	ServeWhileChoked bool
	// UnchokeFirst unchokes the peer right after the handshake, before it
	// is interested (legal).
	UnchokeFirst bool
	// CloseOnChokedRequest drops the connection on a request while it
	// chokes the peer.
	CloseOnChokedRequest bool
	// NeverUnchoke never unchokes, however interested the peer is.
	NeverUnchoke bool
	// RechokeEvery, if set, answers every Nth request on a connection with
	// a choke, which discards it, and an unchoke right after: as a real
	// client rotating its upload slots does (legal).
	RechokeEvery int
	// UnchokeTwice sends unchoke twice (legal; real clients do).
	UnchokeTwice bool
	// ServePastEnd serves requests past the end of a piece or of the
	// file, zeros where there is no data, instead of ignoring them.
	ServePastEnd bool
	// ClosePastEnd drops the connection on such a request (legal).
	ClosePastEnd bool
	// DeafAfterPastEnd ignores such a request and every request after it
	// on the connection.
	DeafAfterPastEnd bool
	// ServeOversize serves requests of more than MaxRequest bytes, cut at
	// the end of the piece.
	ServeOversize bool
	// Corrupt lists pieces whose blocks are sent with their first byte
	// flipped.
	Corrupt map[int]bool
	// CloseOnKeepAlive drops the connection when a keep-alive arrives.
	CloseOnKeepAlive bool
	// OneRecv reads every message with a single Read: a message split
	// across segments arrives torn and is lost, and the messages after
	// the first in one segment are lost too.
	OneRecv bool
}

// Seeder serves one torrent's data on a listener until Close.
type Seeder struct {
	InfoHash    [20]byte
	PeerID      [20]byte // zero: DefaultPeerID
	PieceLength int
	Data        []byte         // the whole piece space
	Has         func(int) bool // nil: every piece
	Quirks      Quirks

	mu       sync.Mutex
	requests []Block         // every request read, in order
	srv      nodetest.Server // the accept loop
}

// DefaultPeerID is a Seeder's peer_id unless it has one.
var DefaultPeerID = [20]byte([]byte("-FB0001-fakebtseeder"))

// Block is a request's index, begin and length.
type Block struct{ Index, Begin, Length uint32 }

// Pieces is how many pieces the data has.
func (s *Seeder) Pieces() int { return (len(s.Data) + s.PieceLength - 1) / s.PieceLength }

// PieceLen is the length of piece i (the last one may be short).
func (s *Seeder) PieceLen(i int) int {
	return min(s.PieceLength, len(s.Data)-i*s.PieceLength)
}

func (s *Seeder) has(i int) bool { return i >= 0 && i < s.Pieces() && (s.Has == nil || s.Has(i)) }

// Requests returns the requests read so far, in order.
func (s *Seeder) Requests() []Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Block(nil), s.requests...)
}

// Serve accepts connections on ln in the background; Close stops it.
func (s *Seeder) Serve(ln net.Listener) {
	s.srv.Serve(ln, s.serve)
}

// Close stops the listener and every connection, and waits for them.
func (s *Seeder) Close() { s.srv.Close() }

// Handshake builds a handshake: pstrlen, pstr, reserved, info_hash,
// peer_id (of any length, for the quirk).
func Handshake(reserved [8]byte, infoHash [20]byte, peerID []byte) []byte {
	b := append([]byte{byte(len(Protocol))}, Protocol...)
	b = append(b, reserved[:]...)
	b = append(b, infoHash[:]...)
	return append(b, peerID...)
}

// Message builds a message: a 4-byte big-endian length, the id, the
// payload.
func Message(id byte, payload ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(1+len(payload)))
	return append(append(b, id), payload...)
}

// RequestMessage builds a request (or, with id Cancel, a cancel).
func RequestMessage(id byte, index, begin, length uint32) []byte {
	p := binary.BigEndian.AppendUint32(nil, index)
	p = binary.BigEndian.AppendUint32(p, begin)
	return Message(id, binary.BigEndian.AppendUint32(p, length)...)
}

func haveMessage(i int) []byte {
	return Message(Have, binary.BigEndian.AppendUint32(nil, uint32(i))...)
}

// greeting is the handshake and what follows it in the same write: the
// bitfield and the haves.
func (s *Seeder) greeting(asked [20]byte) []byte {
	q := s.Quirks
	var reserved [8]byte
	if q.ReservedBits {
		reserved[5], reserved[7] = 0x10, 0x05
	}
	ih := s.InfoHash
	switch {
	case q.AcceptAnyInfoHash:
		ih = asked
	case q.WrongInfoHash:
		for i := range ih {
			ih[i] ^= 0xff
		}
	}
	id := s.PeerID
	if id == ([20]byte{}) {
		id = DefaultPeerID
	}
	pid := id[:]
	if q.ShortPeerID {
		pid = pid[:19]
	}
	b := Handshake(reserved, ih, pid)
	if q.HaveBeforeBitfield {
		b = append(b, haveMessage(0)...)
	}
	var later []int // pieces announced by have
	if !q.NoBitfield {
		bf, left := s.bitfield()
		b = append(b, Message(Bitfield, bf...)...)
		later = left
	} else {
		for i := range s.Pieces() {
			if s.has(i) {
				later = append(later, i)
			}
		}
	}
	for _, i := range later {
		b = append(b, haveMessage(i)...)
	}
	if q.UnchokeFirst {
		b = append(b, Message(Unchoke)...)
	}
	return b
}

// bitfield is the bitfield's payload and the pieces it leaves out for
// haves (LazyBitfield).
func (s *Seeder) bitfield() ([]byte, []int) {
	n := s.Pieces()
	b := make([]byte, (n+7)/8)
	var left []int
	for i := range n {
		if !s.has(i) {
			continue
		}
		if s.Quirks.LazyBitfield && i%2 == 1 {
			left = append(left, i)
			continue
		}
		b[i/8] |= 0x80 >> (i % 8)
	}
	if s.Quirks.SpareBits && n%8 != 0 {
		b[len(b)-1] |= 0xff >> (n % 8)
	}
	if x := s.Quirks.BitfieldExtra; x > 0 {
		b = append(b, make([]byte, x)...)
	} else if x < 0 {
		b = b[:max(0, len(b)+x)]
	}
	return b, left
}

func (s *Seeder) serve(c net.Conn) {
	if s.Quirks.HandshakeFirst {
		if _, err := c.Write(s.greeting(s.InfoHash)); err != nil {
			return
		}
	}
	var hs [HandshakeSize]byte
	if _, err := io.ReadFull(c, hs[:]); err != nil {
		return
	}
	if hs[0] != byte(len(Protocol)) || string(hs[1:20]) != Protocol {
		return
	}
	asked := [20]byte(hs[28:48])
	if asked != s.InfoHash && !s.Quirks.AcceptAnyInfoHash {
		return // not our torrent: drop, as real clients do
	}
	if !s.Quirks.HandshakeFirst {
		if _, err := c.Write(s.greeting(asked)); err != nil {
			return
		}
	}
	read := readMessage
	if s.Quirks.OneRecv {
		buf := make([]byte, 64<<10)
		read = func(r io.Reader) ([]byte, error) { return readOneRecv(r, buf) }
	}
	choking := !s.Quirks.UnchokeFirst
	deaf := false
	requests := 0
	for {
		m, err := read(c)
		if err != nil {
			return
		}
		if m == nil {
			continue // a torn message, lost
		}
		if len(m) == 0 {
			if s.Quirks.CloseOnKeepAlive {
				return
			}
			continue
		}
		switch m[0] {
		case Interested:
			if s.Quirks.NeverUnchoke {
				continue
			}
			choking = false
			out := Message(Unchoke)
			if s.Quirks.UnchokeTwice {
				out = append(out, Message(Unchoke)...)
			}
			if _, err := c.Write(out); err != nil {
				return
			}
		case Request:
			if len(m) != 13 {
				return // the wrong size: drop
			}
			b := Block{binary.BigEndian.Uint32(m[1:]), binary.BigEndian.Uint32(m[5:]), binary.BigEndian.Uint32(m[9:])}
			s.mu.Lock()
			s.requests = append(s.requests, b)
			s.mu.Unlock()
			if deaf {
				continue
			}
			if requests++; !choking && s.Quirks.RechokeEvery > 0 && requests%s.Quirks.RechokeEvery == 0 {
				if _, err := c.Write(append(Message(Choke), Message(Unchoke)...)); err != nil {
					return
				}
				continue
			}
			ok, past := s.answer(c, b, choking)
			if !ok {
				return
			}
			deaf = past && s.Quirks.DeafAfterPastEnd
		}
	}
}

// answer serves one request if it should; false drops the connection.
// past says the request was past the end of a piece or of the file.
func (s *Seeder) answer(c net.Conn, b Block, choking bool) (ok, past bool) {
	q := s.Quirks
	if b.Length > MaxRequest && !q.ServeOversize {
		return false, false
	}
	if choking && !q.ServeWhileChoked {
		return !q.CloseOnChokedRequest, false // a choked peer's requests are discarded
	}
	i := int(b.Index)
	inside := i < s.Pieces() && int64(b.Begin)+int64(b.Length) <= int64(s.PieceLen(i))
	if b.Length > MaxRequest && i < s.Pieces() && int64(b.Begin) < int64(s.PieceLen(i)) {
		// ServeOversize: the block cut at the piece's end, as a slice of
		// the piece would be.
		b.Length = uint32(s.PieceLen(i)) - b.Begin
		inside = true
	}
	switch {
	case !inside && q.ClosePastEnd:
		return false, true
	case !inside && !q.ServePastEnd:
		return true, true // ignored
	case inside && !s.has(i):
		return true, false
	}
	block := make([]byte, b.Length) // zeros past the data (ServePastEnd)
	if start := int64(i)*int64(s.PieceLength) + int64(b.Begin); start < int64(len(s.Data)) {
		copy(block, s.Data[start:])
	}
	if q.Corrupt[i] && len(block) > 0 {
		block[0] ^= 0xff
	}
	p := binary.BigEndian.AppendUint32(nil, b.Index)
	p = binary.BigEndian.AppendUint32(p, b.Begin)
	_, err := c.Write(Message(Piece, append(p, block...)...))
	return err == nil, !inside
}

// readMessage reads one message as a careful peer does (io.ReadFull): its
// bytes after the length prefix, empty for a keep-alive.
func readMessage(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > maxMessage {
		return nil, io.ErrUnexpectedEOF
	}
	m := make([]byte, n)
	if _, err := io.ReadFull(r, m); err != nil {
		return nil, err
	}
	return m, nil
}

// readOneRecv reads a message as a peer that calls recv() once per
// message: the length prefix is the read's first 4 bytes and the message
// what follows of it; a message cut short is lost (nil), and so is the
// rest of the read.
func readOneRecv(r io.Reader, buf []byte) ([]byte, error) {
	n, err := r.Read(buf)
	if err != nil {
		return nil, err
	}
	if n < 4 {
		return nil, nil
	}
	size := binary.BigEndian.Uint32(buf)
	if int64(size) > int64(n-4) {
		return nil, nil // torn
	}
	return append([]byte{}, buf[4:4+size]...), nil
}
