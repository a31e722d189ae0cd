package nibble

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
)

// Limits and defaults of .ntorrent files.
const (
	// MaxTorrentFile bounds what ReadTorrent reads: a torrent of MaxPieces
	// pieces is about 24 MB of JSON.
	MaxTorrentFile = 32 << 20
	// MaxPieceSize: a piece must fit one frame's data.
	MaxPieceSize = MaxData
	// DefaultPieceSize is the spec's example, and make-torrent's default.
	DefaultPieceSize = 4096
	// maxFileName is the longest name most file systems take.
	maxFileName = 255
)

// Hash is a SHA-1 digest: a piece's hash (and, as TorrentID, a file's).
type Hash [sha1.Size]byte

// String is the hash as 40 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Torrent is a .ntorrent file: what a peer needs to find, fetch and check
// one file.
type Torrent struct {
	ID         TorrentID // torrent_id: the SHA-1 of the whole file
	TrackerURL string    // tracker_url: http or https
	FileSize   int64     // file_size in bytes
	FileName   string    // file_name: a plain name, no directories
	PieceSize  int       // piece_size: 1 to MaxPieceSize bytes; the last piece may be shorter
	Pieces     []Hash    // pieces: the SHA-1 of each piece, in order
}

// TorrentError says which field of a torrent is wrong and why:
// "piece_size: 70000 is more than 65535: ...".
type TorrentError struct {
	Field  string // the JSON key: "piece_size", "pieces[3]"; "" for the whole file
	Reason string
}

func (e *TorrentError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func fieldError(field, format string, a ...any) error {
	return &TorrentError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// LoadTorrent reads and validates the torrent file at path.
func LoadTorrent(path string) (*Torrent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadTorrent(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadTorrent reads a torrent file of at most MaxTorrentFile bytes and
// validates it (see ParseTorrent).
func ReadTorrent(r io.Reader) (*Torrent, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxTorrentFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxTorrentFile {
		return nil, &TorrentError{Reason: fmt.Sprintf("larger than %d MiB: not a torrent file", MaxTorrentFile>>20)}
	}
	return ParseTorrent(data)
}

// ParseTorrent reads a torrent file's JSON and validates it (Validate).
// It reads what real torrent files contain: a trailing comma before ] or }
// (the spec's own example has one), a UTF-8 byte order mark, keys it does
// not know (ignored), hex digits in either case. Errors are *TorrentError
// naming the field.
func ParseTorrent(data []byte) (*Torrent, error) {
	var in struct {
		TorrentID  *string   `json:"torrent_id"`
		TrackerURL *string   `json:"tracker_url"`
		FileSize   *int64    `json:"file_size"`
		FileName   *string   `json:"file_name"`
		PieceSize  *int64    `json:"piece_size"`
		Pieces     *[]string `json:"pieces"`
	}
	data = dropTrailingCommas(bytes.TrimPrefix(data, []byte("\ufeff")))
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, jsonError(data, err)
	}
	missing := func(field string) error { return fieldError(field, "missing") }
	t := &Torrent{}
	var err error
	switch {
	case in.TorrentID == nil:
		return nil, missing("torrent_id")
	case in.TrackerURL == nil:
		return nil, missing("tracker_url")
	case in.FileSize == nil:
		return nil, missing("file_size")
	case in.FileName == nil:
		return nil, missing("file_name")
	case in.PieceSize == nil:
		return nil, missing("piece_size")
	case in.Pieces == nil:
		return nil, missing("pieces")
	}
	if t.ID, err = ParseTorrentID(*in.TorrentID); err != nil {
		return nil, fieldError("torrent_id", "%v", err)
	}
	t.TrackerURL, t.FileSize, t.FileName = *in.TrackerURL, *in.FileSize, *in.FileName
	if *in.PieceSize < 1 || *in.PieceSize > MaxPieceSize {
		return nil, pieceSizeError(*in.PieceSize)
	}
	t.PieceSize = int(*in.PieceSize)
	if len(*in.Pieces) > MaxPieces {
		return nil, fieldError("pieces", "%d pieces, at most %d: a hello response's bitfield must fit one frame", len(*in.Pieces), MaxPieces)
	}
	t.Pieces = make([]Hash, len(*in.Pieces))
	for i, s := range *in.Pieces {
		id, err := ParseTorrentID(s)
		if err != nil {
			return nil, fieldError("pieces["+strconv.Itoa(i)+"]", "%v", err)
		}
		t.Pieces[i] = Hash(id)
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// dropTrailingCommas removes each comma that only whitespace separates
// from a ] or }, outside strings.
func dropTrailingCommas(data []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ',':
			rest := bytes.TrimLeft(data[i+1:], " \t\r\n")
			if len(rest) > 0 && (rest[0] == ']' || rest[0] == '}') {
				if out == nil {
					out = append(make([]byte, 0, len(data)), data[:i]...)
				}
				continue
			}
		}
		if out != nil {
			out = append(out, c)
		}
	}
	if out == nil {
		return data
	}
	return out
}

// jsonError names the field of a type error and the line of a syntax error.
func jsonError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		want := map[string]string{"pieces": "a list of 40-hex-digit strings", "file_size": "a whole number", "piece_size": "a whole number"}[te.Field]
		if want == "" {
			want = "a string"
		}
		return fieldError(te.Field, "want %s, got %s", want, te.Value)
	case errors.As(err, &te):
		return &TorrentError{Reason: "not a JSON object"}
	case errors.As(err, &se):
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return &TorrentError{Reason: fmt.Sprintf("line %d: not JSON: %s", line, codec.PrintableString(se.Error()))}
	}
	return &TorrentError{Reason: "not JSON: " + codec.PrintableString(err.Error())}
}

func pieceSizeError(n int64) error {
	if n < 1 {
		return fieldError("piece_size", "%d: must be at least 1", n)
	}
	return fieldError("piece_size", "%d is more than %d: a piece must fit one frame (the length field is 16 bits)", n, MaxPieceSize)
}

// Validate checks the fields against each other and the limits, in the
// spec's order, and returns the first problem as a *TorrentError.
func (t *Torrent) Validate() error {
	if err := CheckTrackerURL(t.TrackerURL); err != nil {
		return err
	}
	if t.FileSize < 0 {
		return fieldError("file_size", "%d: negative", t.FileSize)
	}
	if err := CheckFileName(t.FileName); err != nil {
		return err
	}
	if t.PieceSize < 1 || t.PieceSize > MaxPieceSize {
		return pieceSizeError(int64(t.PieceSize))
	}
	if want := pieceCount(t.FileSize, t.PieceSize); int64(len(t.Pieces)) != want {
		return fieldError("pieces", "%d hashes, but file_size %d in pieces of %d bytes makes %d", len(t.Pieces), t.FileSize, t.PieceSize, want)
	}
	if len(t.Pieces) > MaxPieces {
		return fieldError("pieces", "%d pieces, at most %d: a hello response's bitfield must fit one frame", len(t.Pieces), MaxPieces)
	}
	return nil
}

// CheckTrackerURL says why u is not a tracker URL (http or https, with a
// host), as a *TorrentError for tracker_url.
func CheckTrackerURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case u == "":
		return fieldError("tracker_url", "empty")
	case err != nil || p.Scheme != "http" && p.Scheme != "https":
		return fieldError("tracker_url", "%s: want an http:// or https:// URL", codec.Quote(u))
	case p.Host == "" || p.Hostname() == "":
		return fieldError("tracker_url", "%s: no host", codec.Quote(u))
	}
	return nil
}

// CheckFileName says why name is not a plain file name, as a
// *TorrentError for file_name: a peer writes the file under this name in
// its folder, so it must not name a directory or leave the folder.
func CheckFileName(name string) error {
	switch {
	case name == "":
		return fieldError("file_name", "empty")
	case name == "." || name == "..":
		return fieldError("file_name", "%s: not a file name", codec.Quote(name))
	case strings.ContainsAny(name, `/\`):
		return fieldError("file_name", "%s: a plain file name, without directories", codec.Quote(name))
	case len(name) > maxFileName:
		return fieldError("file_name", "%d bytes, at most %d", len(name), maxFileName)
	case codec.PrintableString(name) != name:
		return fieldError("file_name", "%s: contains control characters", codec.Quote(name))
	}
	return nil
}

// pieceCount is ceil(size/pieceSize).
func pieceCount(size int64, pieceSize int) int64 {
	return (size + int64(pieceSize) - 1) / int64(pieceSize)
}

// NumPieces is the number of pieces.
func (t *Torrent) NumPieces() int { return len(t.Pieces) }

// PieceLen is the size of piece i: PieceSize, or less for the last one
// (0 for an index out of range).
func (t *Torrent) PieceLen(i int) int {
	if i < 0 || i >= len(t.Pieces) {
		return 0
	}
	return int(min(int64(t.PieceSize), t.FileSize-int64(i)*int64(t.PieceSize)))
}

// ErrPieceHash: a piece's data does not match its hash.
var ErrPieceHash = errors.New("SHA-1 does not match")

// CheckPiece says whether data is piece i: its length and its SHA-1.
func (t *Torrent) CheckPiece(i int, data []byte) error {
	switch {
	case i < 0 || i >= len(t.Pieces):
		return fmt.Errorf("piece %d: out of range (%d pieces)", i, len(t.Pieces))
	case len(data) != t.PieceLen(i):
		return fmt.Errorf("piece %d: %d bytes, want %d", i, len(data), t.PieceLen(i))
	}
	if got := Hash(sha1.Sum(data)); got != t.Pieces[i] {
		return fmt.Errorf("piece %d: %w: %s, want %s", i, ErrPieceHash, got, t.Pieces[i])
	}
	return nil
}

// Verify reads a whole file and checks it against the torrent: its size,
// every piece's hash, and that torrent_id is the file's SHA-1. The error
// names the first difference.
func (t *Torrent) Verify(r io.Reader) error {
	whole := sha1.New()
	buf := make([]byte, t.PieceSize)
	var size int64
	var pieceErr error
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			whole.Write(buf[:n])
			size += int64(n)
			if pieceErr == nil && n == t.PieceLen(i) {
				pieceErr = t.CheckPiece(i, buf[:n])
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	switch {
	case size != t.FileSize:
		return fmt.Errorf("file_size: the file has %d bytes, the torrent says %d", size, t.FileSize)
	case pieceErr != nil:
		return pieceErr
	}
	if got := TorrentID(whole.Sum(nil)); got != t.ID {
		return fmt.Errorf("torrent_id: the file's SHA-1 is %s, the torrent says %s", got, t.ID)
	}
	return nil
}

// MakeTorrent reads a whole file and describes it: the SHA-1 of each
// piece of pieceSize bytes and of the whole file. name is the file's
// name (no directories), trackerURL the tracker's announce URL.
func MakeTorrent(r io.Reader, name, trackerURL string, pieceSize int) (*Torrent, error) {
	t := &Torrent{TrackerURL: trackerURL, FileName: name, PieceSize: pieceSize}
	if err := CheckTrackerURL(trackerURL); err != nil {
		return nil, err
	}
	if err := CheckFileName(name); err != nil {
		return nil, err
	}
	if pieceSize < 1 || pieceSize > MaxPieceSize {
		return nil, pieceSizeError(int64(pieceSize))
	}
	whole := sha1.New()
	buf := make([]byte, pieceSize)
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if len(t.Pieces) == MaxPieces {
				return nil, fieldError("pieces", "more than %d pieces of %d bytes: a hello response's bitfield must fit one frame; choose a bigger piece size", MaxPieces, pieceSize)
			}
			whole.Write(buf[:n])
			t.Pieces = append(t.Pieces, sha1.Sum(buf[:n]))
			t.FileSize += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	t.ID = TorrentID(whole.Sum(nil))
	return t, nil
}

// MarshalTorrent is the torrent as a .ntorrent file: JSON indented by four
// spaces with the keys in the spec's order, ending with a newline.
func MarshalTorrent(t *Torrent) []byte {
	out := struct {
		TorrentID  string   `json:"torrent_id"`
		TrackerURL string   `json:"tracker_url"`
		FileSize   int64    `json:"file_size"`
		FileName   string   `json:"file_name"`
		PieceSize  int      `json:"piece_size"`
		Pieces     []string `json:"pieces"`
	}{t.ID.String(), t.TrackerURL, t.FileSize, t.FileName, t.PieceSize, make([]string, len(t.Pieces))}
	for i, h := range t.Pieces {
		out.Pieces[i] = h.String()
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // a tracker URL's & stays readable
	enc.SetIndent("", "    ")
	enc.Encode(out) // strings, numbers and a list: it cannot fail
	return b.Bytes()
}
