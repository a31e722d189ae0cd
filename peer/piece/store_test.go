package piece

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

const testPieceSize = 64

// content returns size seeded random bytes and the spec of a torrent of them
// in dir (the last piece short unless size divides evenly).
func content(t *testing.T, dir string, size int) ([]byte, Spec) {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), 1))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	spec := Spec{Dir: dir, Name: "file.bin", Size: int64(size), PieceSize: testPieceSize}
	for off := 0; off < size; off += testPieceSize {
		spec.Hashes = append(spec.Hashes, sha1.Sum(data[off:min(off+testPieceSize, size)]))
	}
	return data, spec
}

func pieceOf(data []byte, i int) []byte {
	return data[i*testPieceSize : min((i+1)*testPieceSize, len(data))]
}

func open(t *testing.T, spec Spec) *Store {
	t.Helper()
	s, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func writeAll(t *testing.T, s *Store, data []byte, pieces ...int) {
	t.Helper()
	for _, i := range pieces {
		if err := s.WritePiece(i, pieceOf(data, i)); err != nil {
			t.Fatalf("piece %d: %v", i, err)
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func TestStoreWritesVerifiesAndRenames(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 5*testPieceSize+10) // 6 pieces, the last of 10 bytes
	s := open(t, spec)
	if r := s.Resume(); r.Source != SourceNew || r.Verified != 0 {
		t.Fatalf("resume %+v", r)
	}
	part, final := filepath.Join(dir, ".file.bin.part"), filepath.Join(dir, "file.bin")
	order := []int{5, 2, 0, 4, 1, 3}
	writeAll(t, s, data, order[:5]...)
	if !exists(part) || exists(final) || s.Complete() {
		t.Fatal("final name before the last piece, or no .part file")
	}
	writeAll(t, s, data, order[5])
	if exists(part) || !s.Complete() {
		t.Fatal("not renamed after the last piece")
	}
	if got, err := os.ReadFile(final); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("final file differs (%v)", err)
	}
	got, err := s.ReadPiece(5, nil) // uploads go on from the renamed file
	if err != nil || !bytes.Equal(got, pieceOf(data, 5)) {
		t.Fatalf("read after rename: %v", err)
	}
}

func TestStoreRejectsBadPieces(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 3*testPieceSize)
	s := open(t, spec)
	bad := bytes.Clone(pieceOf(data, 1))
	bad[7] ^= 1
	if err := s.WritePiece(1, bad); !errors.Is(err, ErrHash) {
		t.Fatalf("corrupt piece: %v", err)
	}
	onDisk, _ := os.ReadFile(filepath.Join(dir, ".file.bin.part"))
	if !bytes.Equal(onDisk[testPieceSize:2*testPieceSize], make([]byte, testPieceSize)) {
		t.Fatal("a corrupt piece reached the disk")
	}
	if s.Have().Has(1) {
		t.Fatal("corrupt piece counted")
	}
	for _, tc := range []struct {
		i    int
		data []byte
	}{{-1, pieceOf(data, 0)}, {3, pieceOf(data, 0)}, {0, pieceOf(data, 0)[:10]}} {
		if err := s.WritePiece(tc.i, tc.data); !errors.Is(err, ErrRange) {
			t.Fatalf("piece %d of %d bytes: %v", tc.i, len(tc.data), err)
		}
	}
	writeAll(t, s, data, 1)
	if err := s.WritePiece(1, pieceOf(data, 1)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("second copy: %v", err)
	}
}

func TestStoreUploadsOnlyVerifiedPieces(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 2*testPieceSize)
	s := open(t, spec)
	if _, err := s.ReadPiece(0, nil); !errors.Is(err, ErrMissing) {
		t.Fatalf("unverified piece: %v", err)
	}
	if _, err := s.ReadPiece(2, nil); !errors.Is(err, ErrRange) {
		t.Fatalf("out of range: %v", err)
	}
	writeAll(t, s, data, 0)
	buf := make([]byte, 0, testPieceSize)
	got, err := s.ReadPiece(0, buf)
	if err != nil || !bytes.Equal(got, pieceOf(data, 0)) || &got[0] != &buf[:1][0] {
		t.Fatalf("read: %v (or the buffer was not reused)", err)
	}
}

func TestStoreResumesFromPartialFile(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 6*testPieceSize)
	s := open(t, spec)
	writeAll(t, s, data, 0, 2, 3, 5)
	s.Close()
	// Rot one written piece on disk.
	part := filepath.Join(dir, ".file.bin.part")
	f, err := os.OpenFile(part, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff ^ data[3*testPieceSize]}, 3*testPieceSize)
	f.Close()

	s = open(t, spec)
	if r := s.Resume(); r.Source != SourcePartial || r.Verified != 3 || r.Checked != 6 {
		t.Fatalf("resume %+v", r)
	}
	if got := s.Have().String(); got != "101001" {
		t.Fatalf("have %s, want 101001", got)
	}
	writeAll(t, s, data, 1, 3, 4)
	if got, _ := os.ReadFile(filepath.Join(dir, "file.bin")); !bytes.Equal(got, data) {
		t.Fatal("the resumed download differs")
	}
}

func TestStoreResumesAfterKillMidWrite(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 4*testPieceSize+5)
	s := open(t, spec)
	writeAll(t, s, data, 0, 1, 2)
	s.Close()
	// A kill in the middle of piece 1 (a file system without preallocation
	// leaves the file cut short).
	part := filepath.Join(dir, ".file.bin.part")
	if err := os.Truncate(part, testPieceSize+testPieceSize/2); err != nil {
		t.Fatal(err)
	}
	s = open(t, spec)
	if got := s.Have().String(); got != "10000" {
		t.Fatalf("have %s, want 10000", got)
	}
	if fi, _ := os.Stat(part); fi.Size() != spec.Size {
		t.Fatalf("part file of %d bytes, want %d", fi.Size(), spec.Size)
	}
	writeAll(t, s, data, 1, 2, 3, 4)
	if got, _ := os.ReadFile(filepath.Join(dir, "file.bin")); !bytes.Equal(got, data) {
		t.Fatal("download after the kill differs")
	}
}

func TestStoreSeedsFromCompleteFile(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 3*testPieceSize+1)
	final := filepath.Join(dir, "file.bin")
	if err := os.WriteFile(final, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := open(t, spec)
	if r := s.Resume(); r.Source != SourceComplete || r.Verified != 4 || !s.Complete() || !s.Have().Complete() {
		t.Fatalf("resume %+v", r)
	}
	if err := s.WritePiece(0, pieceOf(data, 0)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("write to a complete store: %v", err)
	}
	if got, err := s.ReadPiece(3, nil); err != nil || !bytes.Equal(got, pieceOf(data, 3)) {
		t.Fatalf("seed read: %v", err)
	}
	if exists(filepath.Join(dir, ".file.bin.part")) {
		t.Fatal("a .part file was made for a complete download")
	}
}

func TestStoreNeverOverwritesAForeignFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]byte) []byte
	}{
		{"one byte differs", func(b []byte) []byte { b[testPieceSize+1] ^= 1; return b }},
		{"wrong size", func(b []byte) []byte { return b[:len(b)-1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data, spec := content(t, dir, 3*testPieceSize)
			foreign := tc.edit(bytes.Clone(data))
			final := filepath.Join(dir, "file.bin")
			os.WriteFile(final, foreign, 0o644)
			if _, err := Open(spec); !errors.Is(err, ErrExists) {
				t.Fatalf("open: %v", err)
			}
			if got, _ := os.ReadFile(final); !bytes.Equal(got, foreign) {
				t.Fatal("the existing file was modified")
			}
		})
	}
}

func TestStoreSavesACompletePartFileAtOpen(t *testing.T) {
	// A crash after the last write and before the rename.
	dir := t.TempDir()
	data, spec := content(t, dir, 2*testPieceSize)
	os.WriteFile(filepath.Join(dir, ".file.bin.part"), data, 0o644)
	s := open(t, spec)
	if !s.Complete() || !exists(filepath.Join(dir, "file.bin")) || exists(filepath.Join(dir, ".file.bin.part")) {
		t.Fatal("complete .part file not saved at open")
	}
}

func TestStoreDoesNotReplaceAFileThatAppeared(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 2*testPieceSize)
	s := open(t, spec)
	writeAll(t, s, data, 0)
	final := filepath.Join(dir, "file.bin")
	os.WriteFile(final, []byte("mine"), 0o644)
	err := s.WritePiece(1, pieceOf(data, 1))
	if !errors.Is(err, ErrSave) || !errors.Is(err, ErrExists) {
		t.Fatalf("last piece: %v", err)
	}
	if got, _ := os.ReadFile(final); string(got) != "mine" {
		t.Fatal("the file that appeared was replaced")
	}
	if !s.Have().Complete() || s.Complete() {
		t.Fatal("pieces should count, the save should not")
	}
}

func TestStoreEmptyFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, Spec{Dir: dir, Name: "empty", Size: 0, PieceSize: 4096})
	if !s.Complete() || !exists(filepath.Join(dir, "empty")) {
		t.Fatal("an empty torrent is complete at once")
	}
}

func TestStoreRefusesUnsafeNamesAndBadGeometry(t *testing.T) {
	dir := t.TempDir()
	_, spec := content(t, dir, 2*testPieceSize)
	for _, name := range []string{"", ".", "..", "../x", "a/b", "/etc/passwd", `a\b`, "a\x00b"} {
		bad := spec
		bad.Name = name
		if _, err := Open(bad); !errors.Is(err, ErrPath) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	for _, edit := range []func(*Spec){
		func(s *Spec) { s.Size++ },        // 3 pieces' worth, 2 hashes
		func(s *Spec) { s.PieceSize = 0 }, // no pieces at all
		func(s *Spec) { s.Size = -1 },
	} {
		bad := spec
		edit(&bad)
		if _, err := Open(bad); !errors.Is(err, ErrGeometry) {
			t.Errorf("spec %+v: %v", bad, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused spec left files: %v", entries)
	}
}

// Writers (two per piece, racing) and readers run at once; readers only
// ever see verified bytes. Run under -race.
func TestStoreConcurrentReadWrite(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 64*testPieceSize)
	s := open(t, spec)
	n := len(spec.Hashes)
	var wg sync.WaitGroup
	var mu sync.Mutex
	written := 0
	for w := range 4 {
		wg.Go(func() {
			for k := range n {
				i := (k*7 + w/2*13) % n // writers 0,1 and 2,3 race on each piece
				err := s.WritePiece(i, pieceOf(data, i))
				switch {
				case err == nil:
					mu.Lock()
					written++
					mu.Unlock()
				case !errors.Is(err, ErrDuplicate):
					t.Errorf("piece %d: %v", i, err)
				}
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			buf := make([]byte, testPieceSize)
			for k := range 20 * n {
				i := k % n
				got, err := s.ReadPiece(i, buf)
				if err == nil && !bytes.Equal(got, pieceOf(data, i)) {
					t.Errorf("piece %d read unverified bytes", i)
				} else if err != nil && !errors.Is(err, ErrMissing) {
					t.Errorf("piece %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	if written != n || !s.Complete() {
		t.Fatalf("%d pieces written once each, want %d (complete %v)", written, n, s.Complete())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "file.bin")); !bytes.Equal(got, data) {
		t.Fatal("file differs")
	}
}

// gatedFile holds its first WriteAt until released, or fails every one.
type gatedFile struct {
	diskFile
	entered, release chan struct{}
	held             atomic.Bool
	fail             error
}

func (g *gatedFile) WriteAt(p []byte, off int64) (int, error) {
	if g.fail != nil {
		return 0, g.fail
	}
	if g.held.CompareAndSwap(false, true) {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.diskFile.WriteAt(p, off)
}

func TestStorePieceBeingWrittenIsNeitherWrittenTwiceNorRead(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 2*testPieceSize)
	s := open(t, spec)
	gate := &gatedFile{diskFile: s.files[0], entered: make(chan struct{}), release: make(chan struct{})}
	s.files[0] = gate
	first := make(chan error)
	go func() { first <- s.WritePiece(0, pieceOf(data, 0)) }()
	<-gate.entered // the first copy is on its way to the disk
	second := s.WritePiece(0, pieceOf(data, 0))
	_, readErr := s.ReadPiece(0, nil)
	close(gate.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(second, ErrDuplicate) {
		t.Fatalf("second copy while the first is written: %v", second)
	}
	if !errors.Is(readErr, ErrMissing) {
		t.Fatalf("read while written: %v", readErr)
	}
	if got, err := s.ReadPiece(0, nil); err != nil || !bytes.Equal(got, pieceOf(data, 0)) {
		t.Fatalf("read after the write: %v", err)
	}
}

func TestStoreWriteErrorLeavesThePieceMissing(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 2*testPieceSize)
	s := open(t, spec)
	disk := s.files[0]
	s.files[0] = &gatedFile{diskFile: disk, fail: errors.New("disk full")}
	if err := s.WritePiece(0, pieceOf(data, 0)); err == nil || errors.Is(err, ErrDuplicate) || s.Have().Has(0) {
		t.Fatalf("failed write: %v, have %s", err, s.Have())
	}
	s.files[0] = disk // the disk recovers: the piece can be written again
	writeAll(t, s, data, 0)
}

func TestStoreRefusesALinkAsItsPartFile(t *testing.T) {
	dir := t.TempDir()
	_, spec := content(t, dir, 2*testPieceSize)
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep me"), 0o644)
	if err := os.Symlink(victim, filepath.Join(dir, ".file.bin.part")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if _, err := Open(spec); err == nil {
		t.Fatal("opened a symbolic link as the .part file")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep me" {
		t.Fatalf("the link's target was changed: %q", got)
	}
}

func TestStoreReadBlock(t *testing.T) {
	dir := t.TempDir()
	data, spec := content(t, dir, 3*testPieceSize-10)
	s := open(t, spec)
	buf := make([]byte, 16)
	if err := s.ReadBlock(1, 0, buf); !errors.Is(err, ErrMissing) {
		t.Fatalf("block of a missing piece: %v, want ErrMissing", err)
	}
	writeAll(t, s, data, 1, 2)
	if err := s.ReadBlock(1, 8, buf); err != nil || !bytes.Equal(buf, data[testPieceSize+8:testPieceSize+24]) {
		t.Fatalf("block 8..24 of piece 1: %v %x", err, buf)
	}
	last := testPieceSize - 10
	for _, c := range []struct{ i, begin, n int }{{2, last - 15, 16}, {2, -1, 4}, {3, 0, 4}, {-1, 0, 4}} {
		if err := s.ReadBlock(c.i, c.begin, make([]byte, c.n)); !errors.Is(err, ErrRange) {
			t.Errorf("ReadBlock(%d, %d, %d bytes) = %v, want ErrRange", c.i, c.begin, c.n, err)
		}
	}
	if err := s.ReadBlock(2, last-16, buf); err != nil || !bytes.Equal(buf, data[len(data)-16:]) {
		t.Fatalf("the last block: %v", err)
	}
}

// multiSpec lays size bytes out as three files of dir/root (one empty).
func multiSpec(t *testing.T, size int) ([]byte, Layout, [][20]byte) {
	t.Helper()
	data, spec := content(t, t.TempDir(), size)
	l, err := MultiFile("root", []File{{Path: "a.bin", Size: 100}, {Path: "sub/empty", Size: 0}, {Path: "sub/b.bin", Size: int64(size - 100)}})
	if err != nil {
		t.Fatal(err)
	}
	return data, l, spec.Hashes
}

func TestStoreMultiFileWritesInPlaceAndResumes(t *testing.T) {
	dir := t.TempDir()
	data, l, hashes := multiSpec(t, 5*testPieceSize+7)
	s, err := OpenLayout(dir, l, testPieceSize, hashes)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, s, data, 0, 1, 4) // piece 1 spans a.bin and sub/b.bin
	s.Close()
	s, err = OpenLayout(dir, l, testPieceSize, hashes)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r := s.Resume(); r.Source != SourcePartial || r.Verified != 3 || s.Complete() {
		t.Fatalf("resume %+v, complete %v", r, s.Complete())
	}
	writeAll(t, s, data, 2, 3, 5)
	if !s.Complete() {
		t.Fatal("not complete after every piece")
	}
	a, _ := os.ReadFile(filepath.Join(dir, "root", "a.bin"))
	b, _ := os.ReadFile(filepath.Join(dir, "root", "sub", "b.bin"))
	if !bytes.Equal(append(a, b...), data) || !exists(filepath.Join(dir, "root", "sub", "empty")) {
		t.Fatalf("files hold %d+%d bytes, want the %d of the torrent", len(a), len(b), len(data))
	}
	buf := make([]byte, 20)
	if err := s.ReadBlock(1, testPieceSize-100+90, buf[:10]); err != nil {
		t.Fatal(err)
	}
}

func TestStoreMultiFileNeverWritesThroughALink(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	_, l, hashes := multiSpec(t, 3*testPieceSize)
	if err := os.Mkdir(filepath.Join(dir, "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "root", "sub")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLayout(dir, l, testPieceSize, hashes); !errors.Is(err, ErrPath) {
		t.Fatalf("through a link: %v, want ErrPath", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("wrote %d files outside the destination", len(entries))
	}
	// A file of another size is not ours: left alone.
	dir = t.TempDir()
	os.MkdirAll(filepath.Join(dir, "root"), 0o755)
	os.WriteFile(filepath.Join(dir, "root", "a.bin"), []byte("mine"), 0o644)
	if _, err := OpenLayout(dir, l, testPieceSize, hashes); !errors.Is(err, ErrExists) {
		t.Fatalf("a foreign file: %v, want ErrExists", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "root", "a.bin")); string(got) != "mine" {
		t.Fatalf("the foreign file was changed: %q", got)
	}
}
