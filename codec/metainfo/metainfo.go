// Package metainfo reads and writes BitTorrent .torrent files (BEP 3
// metainfo): the tracker's announce URL, and the info dictionary that
// describes the content: its name, piece length, the SHA-1 of every piece,
// and one file's length or a list of files. A torrent's info_hash is the
// SHA-1 of the info dictionary's exact bytes in the file, never of a
// re-encoding, so that it matches what every other client computes.
//
// Parse reads with bencode.DecodeLenient: .torrent files in the wild have
// dictionary keys out of order, and since the info_hash covers the bytes
// as they are, reading them costs nothing. Everything else is strict, and
// every error names the field: `info.files[2].path[1]: ".." is not allowed`.
// Marshal and Make write canonical bencode, which bencode.Decode (strict)
// reads back.
//
// The package is pure but for Make, which reads the files it describes
// through an fs.FS.
package metainfo

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/bencode"
)

// Limits and defaults of .torrent files.
const (
	// MaxFileSize bounds a .torrent file: 16 MiB holds 800,000 piece hashes.
	MaxFileSize = 16 << 20
	// MaxPieceLength bounds "piece length": a peer holds whole pieces in
	// memory to hash them. Real torrents use 16 KiB to 16 MiB.
	MaxPieceLength = 64 << 20
	// DefaultPieceLength is make-torrent's piece size (DIALECTS.md).
	DefaultPieceLength = 256 << 10
	// maxComponent is the longest file name most file systems take.
	maxComponent = 255
)

// Hash is a SHA-1 digest: a piece's hash, or the info_hash.
type Hash [sha1.Size]byte

// String is the hash as 40 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Torrent is a .torrent file.
type Torrent struct {
	Announce     string     // "announce": the tracker's URL ("" if absent)
	AnnounceList [][]string // "announce-list" (BEP 12): tiers of tracker URLs; nil if absent
	CreatedBy    string     // "created by" ("" if absent)
	CreationDate int64      // "creation date", seconds since 1970 (0 if absent)
	Comment      string     // "comment" ("" if absent)
	Info         Info
	// InfoHash is the SHA-1 of the info dictionary's bytes as Parse read
	// them (Marshal ignores it).
	InfoHash Hash
}

// Info is the torrent's info dictionary.
type Info struct {
	// Name is the file's name (one file) or the directory's (several):
	// one path component.
	Name        string
	PieceLength int    // "piece length": every piece but the last has this many bytes
	Pieces      []Hash // "pieces": the SHA-1 of each piece
	Private     bool   // "private" (BEP 27)
	// MultiFile says the torrent has a "files" list (a directory named
	// Name), rather than a "length" (one file named Name).
	MultiFile bool
	// Files lays out the piece space: the files end to end in torrent
	// order. A single-file torrent has one, whose Path is [Name].
	Files []File
}

// File is one file of the piece space.
type File struct {
	// Path is the file's path components under the download directory:
	// [Name] for a single-file torrent, [Name, path...] for a file of a
	// multi-file torrent.
	Path   []string
	Length int64
	Offset int64 // where the file starts in the piece space
}

// SlashPath is the path with '/' between components.
func (f File) SlashPath() string { return strings.Join(f.Path, "/") }

// TotalLength is the size of the piece space: the files' lengths summed,
// which is where the last file ends (Validate checks the offsets).
func (i *Info) TotalLength() int64 {
	if len(i.Files) == 0 {
		return 0
	}
	last := i.Files[len(i.Files)-1]
	return last.Offset + last.Length
}

// NumPieces is the number of pieces.
func (i *Info) NumPieces() int { return len(i.Pieces) }

// PieceLen is the length of piece n: PieceLength, or less for the last
// (0 for an index out of range).
func (i *Info) PieceLen(n int) int {
	if n < 0 || n >= len(i.Pieces) {
		return 0
	}
	return int(min(int64(i.PieceLength), i.TotalLength()-int64(n)*int64(i.PieceLength)))
}

// FieldError says which field of a torrent is wrong and why. Field is
// the key path as written in the file: "info.piece length",
// "info.files[2].path[1]"; "" for the file as a whole.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func fieldError(field, format string, a ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// Load reads and validates the .torrent file at path.
func Load(path string) (*Torrent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Read reads a .torrent file of at most MaxFileSize bytes and parses it.
func Read(r io.Reader) (*Torrent, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse reads a .torrent file and validates it (Validate). Keys it does
// not know are ignored. The Torrent shares no memory with data.
func Parse(data []byte) (*Torrent, error) {
	if len(data) > MaxFileSize {
		return nil, &FieldError{Reason: fmt.Sprintf("larger than %d MiB: not a torrent file", MaxFileSize>>20)}
	}
	root, err := bencode.DecodeLenient(data)
	if err != nil {
		return nil, fmt.Errorf("not a torrent file: %w", err)
	}
	if root.Kind != bencode.KindDict {
		return nil, &FieldError{Reason: "not a torrent file: " + article(root.Kind) + ", want a dictionary"}
	}
	t := &Torrent{}
	if t.Announce, _, err = stringField(root, "", "announce"); err != nil {
		return nil, err
	}
	if t.AnnounceList, err = announceList(root); err != nil {
		return nil, err
	}
	if t.CreatedBy, _, err = stringField(root, "", "created by"); err != nil {
		return nil, err
	}
	if t.CreationDate, _, err = intField(root, "", "creation date"); err != nil {
		return nil, err
	}
	if t.Comment, _, err = stringField(root, "", "comment"); err != nil {
		return nil, err
	}
	info, ok := root.Get("info")
	if !ok {
		return nil, fieldError("info", "missing")
	}
	if info.Kind != bencode.KindDict {
		return nil, typeError("info", info, bencode.KindDict)
	}
	if t.Info, err = parseInfo(info); err != nil {
		return nil, err
	}
	t.InfoHash = sha1.Sum(info.Raw)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func typeError(field string, v bencode.Value, want bencode.Kind) error {
	return fieldError(field, "want %s, got %s", article(want), article(v.Kind))
}

// article is "a list", "an integer".
func article(k bencode.Kind) string {
	if k == bencode.KindInt {
		return "an " + k.String()
	}
	return "a " + k.String()
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// stringField reads an optional byte string of d.
func stringField(d bencode.Value, path, key string) (string, bool, error) {
	v, ok := d.Get(key)
	if !ok {
		return "", false, nil
	}
	if v.Kind != bencode.KindString {
		return "", false, typeError(join(path, key), v, bencode.KindString)
	}
	return string(v.Str), true, nil
}

// intField reads an optional integer of d.
func intField(d bencode.Value, path, key string) (int64, bool, error) {
	v, ok := d.Get(key)
	if !ok {
		return 0, false, nil
	}
	if v.Kind != bencode.KindInt {
		return 0, false, typeError(join(path, key), v, bencode.KindInt)
	}
	return v.Int, true, nil
}

func announceList(root bencode.Value) ([][]string, error) {
	v, ok := root.Get("announce-list")
	if !ok {
		return nil, nil
	}
	if v.Kind != bencode.KindList {
		return nil, typeError("announce-list", v, bencode.KindList)
	}
	tiers := make([][]string, len(v.List))
	for i, tier := range v.List {
		if tier.Kind != bencode.KindList {
			return nil, typeError(index("announce-list", i), tier, bencode.KindList)
		}
		tiers[i] = make([]string, len(tier.List))
		for j, u := range tier.List {
			if u.Kind != bencode.KindString {
				return nil, typeError(index(index("announce-list", i), j), u, bencode.KindString)
			}
			tiers[i][j] = string(u.Str)
		}
	}
	return tiers, nil
}

// parseInfo reads the info dictionary's fields and their types; Validate
// checks their values.
func parseInfo(d bencode.Value) (Info, error) {
	var info Info
	name, ok, err := stringField(d, "info", "name")
	switch {
	case err != nil:
		return Info{}, err
	case !ok:
		return Info{}, fieldError("info.name", "missing")
	}
	info.Name = name
	pl, ok, err := intField(d, "info", "piece length")
	switch {
	case err != nil:
		return Info{}, err
	case !ok:
		return Info{}, fieldError("info.piece length", "missing")
	case pl < 1 || pl > MaxPieceLength:
		return Info{}, pieceLengthError(pl)
	}
	info.PieceLength = int(pl)
	pieces, ok := d.Get("pieces")
	switch {
	case !ok:
		return Info{}, fieldError("info.pieces", "missing")
	case pieces.Kind != bencode.KindString:
		return Info{}, typeError("info.pieces", pieces, bencode.KindString)
	case len(pieces.Str)%sha1.Size != 0:
		return Info{}, fieldError("info.pieces", "%d bytes, not a multiple of %d (one SHA-1 per piece)", len(pieces.Str), sha1.Size)
	}
	info.Pieces = make([]Hash, len(pieces.Str)/sha1.Size)
	for i := range info.Pieces {
		copy(info.Pieces[i][:], pieces.Str[i*sha1.Size:])
	}
	private, ok, err := intField(d, "info", "private")
	switch {
	case err != nil:
		return Info{}, err
	case ok && private != 0 && private != 1:
		return Info{}, fieldError("info.private", "%d: want 0 or 1", private)
	}
	info.Private = private == 1
	length, hasLength, err := intField(d, "info", "length")
	if err != nil {
		return Info{}, err
	}
	files, hasFiles := d.Get("files")
	switch {
	case hasLength && hasFiles:
		return Info{}, fieldError("info", "both length (one file) and files (several)")
	case hasLength:
		info.Files = []File{{Path: []string{name}, Length: length}}
		return info, nil
	case !hasFiles:
		return Info{}, fieldError("info", "neither length (one file) nor files (several)")
	case files.Kind != bencode.KindList:
		return Info{}, typeError("info.files", files, bencode.KindList)
	}
	info.MultiFile = true
	info.Files = make([]File, len(files.List))
	var offset int64
	for i, fv := range files.List {
		field := index("info.files", i)
		if fv.Kind != bencode.KindDict {
			return Info{}, typeError(field, fv, bencode.KindDict)
		}
		length, ok, err := intField(fv, field, "length")
		switch {
		case err != nil:
			return Info{}, err
		case !ok:
			return Info{}, fieldError(join(field, "length"), "missing")
		}
		pv, ok := fv.Get("path")
		switch {
		case !ok:
			return Info{}, fieldError(join(field, "path"), "missing")
		case pv.Kind != bencode.KindList:
			return Info{}, typeError(join(field, "path"), pv, bencode.KindList)
		}
		path := make([]string, 1, 1+len(pv.List))
		path[0] = name
		for j, c := range pv.List {
			if c.Kind != bencode.KindString {
				return Info{}, typeError(index(join(field, "path"), j), c, bencode.KindString)
			}
			path = append(path, string(c.Str))
		}
		info.Files[i] = File{Path: path, Length: length, Offset: offset}
		if length > 0 && offset <= math.MaxInt64-length {
			offset += length
		}
	}
	return info, nil
}

func pieceLengthError(n int64) error {
	if n < 1 {
		return fieldError("info.piece length", "%d: must be at least 1", n)
	}
	return fieldError("info.piece length", "%d is more than %d (%d MiB)", n, MaxPieceLength, MaxPieceLength>>20)
}

// Validate checks a torrent's fields against each other and the limits,
// and returns the first problem as a *FieldError naming the field as the
// file would: the name, the piece length, every file's length and path
// components (not empty, not "." or "..", no '/', '\' or NUL, so no path
// leaves the download directory), paths that clash, and the number of
// pieces against the total length.
func (t *Torrent) Validate() error {
	info := &t.Info
	if err := checkComponent("info.name", info.Name); err != nil {
		return err
	}
	if info.PieceLength < 1 || info.PieceLength > MaxPieceLength {
		return pieceLengthError(int64(info.PieceLength))
	}
	if !info.MultiFile {
		if len(info.Files) != 1 || len(info.Files[0].Path) != 1 || info.Files[0].Path[0] != info.Name {
			return fieldError("info", "a single-file torrent is one file named as info.name")
		}
		if info.Files[0].Length < 0 {
			return fieldError("info.length", "%d: negative", info.Files[0].Length)
		}
	}
	if info.MultiFile && len(info.Files) == 0 {
		return fieldError("info.files", "empty")
	}
	var total int64
	files := map[string]int{} // path -> index
	dirs := map[string]int{}  // directory -> index of a file in it
	for i, f := range info.Files {
		field := index("info.files", i)
		if !info.MultiFile {
			field = "info"
		}
		switch {
		case f.Length < 0:
			return fieldError(join(field, "length"), "%d: negative", f.Length)
		case total > math.MaxInt64-f.Length:
			return fieldError(join(field, "length"), "%d: the total length overflows", f.Length)
		case f.Offset != total:
			return fieldError(field, "offset %d, want %d (the lengths before it summed)", f.Offset, total)
		}
		total += f.Length
		if !info.MultiFile {
			continue
		}
		switch {
		case len(f.Path) < 2:
			return fieldError(join(field, "path"), "empty")
		case f.Path[0] != info.Name:
			return fieldError(field, "not under info.name")
		}
		for j, c := range f.Path[1:] {
			if err := checkComponent(index(join(field, "path"), j), c); err != nil {
				return err
			}
		}
		if err := checkClash(field, f.Path, i, files, dirs); err != nil {
			return err
		}
	}
	want := (total + int64(info.PieceLength) - 1) / int64(info.PieceLength)
	if int64(len(info.Pieces)) != want {
		return fieldError("info.pieces", "%d hashes, but %d bytes in pieces of %d make %d", len(info.Pieces), total, info.PieceLength, want)
	}
	return nil
}

// checkComponent refuses a path component that is empty, "." or "..",
// holds a separator or NUL, or is too long for a file system.
func checkComponent(field, c string) error {
	switch {
	case c == "":
		return fieldError(field, "empty")
	case c == "." || c == "..":
		return fieldError(field, "%s is not allowed", codec.Quote(c))
	case strings.ContainsAny(c, "/\\\x00"):
		return fieldError(field, "%s: a path component holds no '/', '\\' or NUL", codec.Quote(c))
	case len(c) > maxComponent:
		return fieldError(field, "%d bytes, at most %d", len(c), maxComponent)
	}
	return nil
}

// checkClash refuses a file whose path another file has, or that is a
// directory of another file, or that lies under another file.
func checkClash(field string, path []string, i int, files, dirs map[string]int) error {
	full := strings.Join(path, "/")
	if j, ok := files[full]; ok {
		return fieldError(join(field, "path"), "%s again (info.files[%d])", codec.Quote(full), j)
	}
	if j, ok := dirs[full]; ok {
		return fieldError(join(field, "path"), "%s is a directory of info.files[%d]", codec.Quote(full), j)
	}
	for k := 1; k < len(path); k++ {
		dir := strings.Join(path[:k], "/")
		if j, ok := files[dir]; ok {
			return fieldError(join(field, "path"), "%s lies under info.files[%d], a file", codec.Quote(full), j)
		}
		if _, ok := dirs[dir]; !ok {
			dirs[dir] = i
		}
	}
	files[full] = i
	return nil
}

// CheckAnnounce says why u is not a tracker URL a torrent can name: http,
// https or udp, with a host. The error is a *FieldError for "announce".
func CheckAnnounce(u string) error {
	p, err := url.Parse(u)
	switch {
	case u == "":
		return fieldError("announce", "empty")
	case err != nil || p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "udp":
		return fieldError("announce", "%s: want an http://, https:// or udp:// URL", codec.Quote(u))
	case p.Hostname() == "":
		return fieldError("announce", "%s: no host", codec.Quote(u))
	}
	return nil
}

// ErrEmpty: Marshal was given a torrent with no Files.
var ErrEmpty = errors.New("metainfo: no files")

// Marshal writes t as a .torrent file in canonical bencode, after
// Validate. Empty optional fields are left out; InfoHash is ignored (the
// info_hash of the result is that of Parse(result)).
func Marshal(t *Torrent) ([]byte, error) {
	if len(t.Info.Files) == 0 {
		return nil, ErrEmpty
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	info := t.Info
	pieces := make([]byte, 0, len(info.Pieces)*sha1.Size)
	for _, h := range info.Pieces {
		pieces = append(pieces, h[:]...)
	}
	entries := []bencode.Entry{
		{Key: "name", Value: bencode.String(info.Name)},
		{Key: "piece length", Value: bencode.Int(int64(info.PieceLength))},
		{Key: "pieces", Value: bencode.Bytes(pieces)},
	}
	if info.Private {
		entries = append(entries, bencode.Entry{Key: "private", Value: bencode.Int(1)})
	}
	if !info.MultiFile {
		entries = append(entries, bencode.Entry{Key: "length", Value: bencode.Int(info.Files[0].Length)})
	} else {
		files := make([]bencode.Value, len(info.Files))
		for i, f := range info.Files {
			path := make([]bencode.Value, len(f.Path)-1)
			for j, c := range f.Path[1:] {
				path[j] = bencode.String(c)
			}
			files[i] = bencode.Dict(
				bencode.Entry{Key: "length", Value: bencode.Int(f.Length)},
				bencode.Entry{Key: "path", Value: bencode.List(path...)})
		}
		entries = append(entries, bencode.Entry{Key: "files", Value: bencode.List(files...)})
	}
	root := []bencode.Entry{{Key: "info", Value: bencode.Dict(entries...)}}
	optional := func(key, s string) {
		if s != "" {
			root = append(root, bencode.Entry{Key: key, Value: bencode.String(s)})
		}
	}
	optional("announce", t.Announce)
	optional("created by", t.CreatedBy)
	optional("comment", t.Comment)
	if t.CreationDate != 0 {
		root = append(root, bencode.Entry{Key: "creation date", Value: bencode.Int(t.CreationDate)})
	}
	if t.AnnounceList != nil {
		tiers := make([]bencode.Value, len(t.AnnounceList))
		for i, tier := range t.AnnounceList {
			urls := make([]bencode.Value, len(tier))
			for j, u := range tier {
				urls[j] = bencode.String(u)
			}
			tiers[i] = bencode.List(urls...)
		}
		root = append(root, bencode.Entry{Key: "announce-list", Value: bencode.List(tiers...)})
	}
	data, err := bencode.Encode(bencode.Dict(root...))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &FieldError{Field: "info.pieces", Reason: fmt.Sprintf("%d pieces make a torrent file of %d bytes, more than %d MiB: choose a bigger piece length", len(info.Pieces), len(data), MaxFileSize>>20)}
	}
	return data, nil
}
