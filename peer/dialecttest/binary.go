// Package dialecttest is a tiny binary dialect for the tests of the front
// ends and the host: what a NibbleTorrent-like protocol asks of them,
// without its rules. Frames are a type byte, a 16-bit big-endian length
// and that many bytes of data. No program imports it.
package dialecttest

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/peer"
)

// The frame types.
const (
	TypeRequest  = 1 // data: the piece index, one byte
	TypeResponse = 2 // data: the piece index, one byte, then the piece
	TypeError    = 3 // data: a reason in ASCII
)

// headerSize is the type byte and the length.
const headerSize = 3

// Frame builds a frame of type typ carrying data.
func Frame(typ byte, data []byte) []byte {
	f := []byte{typ, 0, 0}
	binary.BigEndian.PutUint16(f[1:], uint16(len(data)))
	return append(f, data...)
}

// Binary is the dialect.
var Binary = peer.Dialect{
	Name: "binary",
	Framing: peer.Framing{
		NewReader: func(r io.Reader) peer.FrameReader { return &reader{r: bufio.NewReader(r)} },
		Command:   command,
		Text:      words,
	},
	Binary:    true,
	Encode:    encode,
	Templates: templates,
	Class: func(cmd string) peer.Class {
		switch cmd {
		case "piece-request", "piece-response":
			return peer.ClassData
		case "error":
			return peer.ClassError
		}
		return peer.ClassUnknown
	},
	Messages: []string{"piece-request", "piece-response", "error"},
	ColonCommands: []peer.ColonCommand{{
		Name: ":peers-count", Help: "how many connections there are",
		Run: func(node peer.Node, _ []string) (string, error) {
			return fmt.Sprintf("%d connections", len(node.Snapshot().Conns)), nil
		},
	}},
	Panes: []peer.Pane{{
		Title: "Pieces",
		Want:  func(s peer.Snapshot, w int) int { return 1 },
		Rows: func(s peer.Snapshot, w, h int) []string {
			return []string{"piece map: " + strings.Repeat("█", len(s.Conns)) + strings.Repeat("·", 3)}
		},
	}},
	Hint: "piece 41",
}

type reader struct{ r *bufio.Reader }

func (r *reader) Next() ([]byte, error) {
	head := make([]byte, headerSize)
	if _, err := io.ReadFull(r.r, head); err != nil {
		return nil, err
	}
	f := make([]byte, headerSize+int(binary.BigEndian.Uint16(head[1:])))
	copy(f, head)
	n, err := io.ReadFull(r.r, f[headerSize:])
	return f[:headerSize+n], err // a cut frame is what arrived
}

func command(f []byte) string {
	if len(f) < headerSize {
		return "?"
	}
	switch f[0] {
	case TypeRequest:
		return "piece-request"
	case TypeResponse:
		return "piece-response"
	case TypeError:
		return "error"
	}
	return "?"
}

// words is a frame in words: "piece-response 41 (16 bytes)".
func words(f []byte) []byte {
	if len(f) < headerSize {
		return fmt.Appendf(nil, "short frame (%d bytes)", len(f))
	}
	data := f[headerSize:]
	switch {
	case f[0] == TypeRequest && len(data) == 1:
		return fmt.Appendf(nil, "piece-request %d", data[0])
	case f[0] == TypeResponse && len(data) >= 1:
		return fmt.Appendf(nil, "piece-response %d (%d bytes)", data[0], len(data)-1)
	case f[0] == TypeError:
		return fmt.Appendf(nil, "error %s", data)
	}
	return fmt.Appendf(nil, "type %d (%d bytes)", f[0], len(data))
}

// encode reads the human form: "piece N", "error TEXT", "raw HEX BYTES".
func encode(line string) ([]byte, error) {
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "piece":
		n, err := strconv.ParseUint(rest, 10, 8)
		if err != nil {
			return nil, fmt.Errorf("piece: %q is not an index from 0 to 255", rest)
		}
		return Frame(TypeRequest, []byte{byte(n)}), nil
	case "error":
		return Frame(TypeError, []byte(rest)), nil
	case "raw":
		b, err := hex.DecodeString(strings.ReplaceAll(rest, " ", ""))
		if err != nil {
			return nil, fmt.Errorf("raw: %w", err)
		}
		return b, nil
	}
	return nil, errors.New("type piece N, error TEXT or raw HEX")
}

func templates(word string, _ peer.TemplateContext) []string {
	var out []string
	for _, t := range []string{"piece 0", "error typed by hand", "raw 01 00 01 00"} {
		if strings.HasPrefix(t, word) && !strings.Contains(word, " ") {
			out = append(out, t)
		}
	}
	return out
}
