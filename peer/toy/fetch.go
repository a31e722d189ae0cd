package toy

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/bitclone/bitclone/codec"
	"github.com/bitclone/bitclone/codec/toy"
	"github.com/bitclone/bitclone/durable"
	"github.com/bitclone/bitclone/humanize"
	"github.com/bitclone/bitclone/peer"
)

// Field labels of the snapshot that the panes read.
const (
	fieldSearch = "search"
	fieldFetch  = "fetch"
	fieldShare  = "share"
)

// want is a --get file: searched for until a result can be fetched.
type want struct {
	name     string
	search   int64     // the current search's msgid (0: none yet)
	searched time.Time // when it was sent
	tried    []netip.AddrPort
	fetch    *fetch // the fetch under way
	done     bool
}

// fetch is one file coming from one source, chunk by chunk.
type fetch struct {
	name     string
	from     netip.AddrPort
	want     *want // nil for a fetch the user typed
	started  time.Time
	chunks   [][]byte // nil until the first answer says how many
	size     int64
	got      int
	inflight map[int]*chunkReq
	state    string // "", "saved ...", "failed: ..."
	done     bool
	// srtt is the smoothed round trip of the chunks answered at their
	// first try (0 before one is): a request waits a few of them, not a
	// whole ChunkTimeout, before it is sent again.
	srtt time.Duration
}

// minChunkTimeout bounds the first wait from below, whatever the round
// trips: a loopback's microseconds would re-ask chunks still in the pipe.
const minChunkTimeout = 50 * time.Millisecond

// chunkTimeout is how long a first request waits for its chunk: 4 smoothed
// round trips (as TCP's RTO leaves room for their spread), between
// minChunkTimeout and the configured ChunkTimeout, which is also the wait
// before any answer has come.
func chunkTimeout(srtt, configured time.Duration) time.Duration {
	if srtt <= 0 {
		return configured
	}
	return min(max(4*srtt, minChunkTimeout), configured)
}

// chunkReq is a chunk asked for and not yet received.
type chunkReq struct {
	sent    time.Time
	timeout time.Duration
	tries   int
}

// chunkRef is what a getfile msgid of ours asked for.
type chunkRef struct {
	f     *fetch
	chunk int
}

// Fetch fetches name from the node at from into Dest, and returns at once;
// the snapshot shows its progress.
func (n *Node) Fetch(name string, from netip.AddrPort) error {
	if err := CheckName(name); err != nil {
		return err
	}
	n.mu.Lock()
	f := n.newFetchLocked(name, from, nil, time.Now())
	out := n.fillLocked(f, time.Now())
	n.mu.Unlock()
	n.sendAll(f.from, out)
	return nil
}

// shares reports whether name is a file in our share directory.
func (n *Node) shares(name string) bool {
	if n.cfg.Share == "" || CheckName(name) != nil {
		return false
	}
	fi, err := os.Stat(filepath.Join(n.cfg.Share, name))
	return err == nil && fi.Mode().IsRegular()
}

// sharedFiles lists the share directory's plain files.
func (n *Node) sharedFiles() []string {
	entries, err := os.ReadDir(n.cfg.Share)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && CheckName(e.Name()) == nil {
			out = append(out, e.Name())
		}
	}
	return out
}

// serveFile answers a getfile with the chunk it asks for (chunk 0 when it
// names none, as the article's node asks). A file we do not share gets no
// answer, as the article's node gives none.
func (n *Node) serveFile(s *session, m toy.Message) {
	chunk := 0
	if m.HasChunk {
		chunk = m.Chunk
	}
	data, chunks, size, err := n.readChunk(m.Filename, chunk)
	if err != nil {
		n.count(func(st *Stats) { st.FilesNotShared++ })
		s.conn.Note(peer.KindInfo, fmt.Sprintf("getfile %s chunk %d: %v: not answered", codec.Quote(m.Filename), chunk, err))
		return
	}
	n.count(func(st *Stats) { st.ChunksServed++ })
	s.chunksOut.Add(1)
	s.reply(toy.FileContents(newID(), m.ID, data, chunk, chunks, size))
}

// errNotShared is a getfile for a file we do not share.
var errNotShared = errors.New("not shared here")

// readChunk reads one chunk of a shared file.
func (n *Node) readChunk(name string, chunk int) (data []byte, chunks int, size int64, err error) {
	if !n.shares(name) {
		return nil, 0, 0, errNotShared
	}
	f, err := os.Open(filepath.Join(n.cfg.Share, name))
	if err != nil {
		return nil, 0, 0, errNotShared
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	size = fi.Size()
	if size > toy.MaxFileSize || size > int64(toy.MaxChunks)*int64(n.cfg.ChunkSize) {
		return nil, 0, 0, fmt.Errorf("%s: too large to send in %d chunks", humanize.Bytes(uint64(size)), toy.MaxChunks)
	}
	chunks = toy.ChunkCount(size, n.cfg.ChunkSize)
	if chunk < 0 || chunk >= chunks {
		return nil, 0, 0, fmt.Errorf("no chunk %d (the file has %d)", chunk, chunks)
	}
	off := int64(chunk) * int64(n.cfg.ChunkSize)
	data = make([]byte, min(int64(n.cfg.ChunkSize), size-off))
	if _, err := f.ReadAt(data, off); err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, 0, err
	}
	return data, chunks, size, nil
}

// newFetchLocked starts a fetch of name from from (nothing is sent yet).
func (n *Node) newFetchLocked(name string, from netip.AddrPort, w *want, now time.Time) *fetch {
	f := &fetch{name: name, from: from, want: w, started: now, inflight: make(map[int]*chunkReq)}
	n.fetches = append(n.fetches, f)
	if len(n.fetches) > MaxOwnSearches {
		if i := slices.IndexFunc(n.fetches, func(f *fetch) bool { return f.done }); i >= 0 {
			n.fetches = slices.Delete(n.fetches, i, i+1)
		}
	}
	return f
}

// userFetchLocked is a getfile the user typed (msgid id, for chunk): a
// fetch of the rest of the file follows its answer.
func (n *Node) userFetchLocked(name string, from netip.AddrPort, id int64, chunk int, now time.Time) {
	if CheckName(name) != nil {
		return
	}
	var f *fetch
	for _, g := range n.fetches {
		if !g.done && g.name == name && g.from == from {
			f = g
		}
	}
	if f == nil {
		f = n.newFetchLocked(name, from, nil, now)
	}
	f.inflight[chunk] = &chunkReq{sent: now, timeout: chunkTimeout(f.srtt, n.cfg.ChunkTimeout), tries: 1}
	n.chunkReq[id] = chunkRef{f, chunk}
}

// fillLocked asks for chunks until Window are in flight: chunk 0 alone
// until the first answer says how many there are.
func (n *Node) fillLocked(f *fetch, now time.Time) []toy.Message {
	if f.done {
		return nil
	}
	var out []toy.Message
	ask := func(c int) {
		id := newID()
		f.inflight[c] = &chunkReq{sent: now, timeout: chunkTimeout(f.srtt, n.cfg.ChunkTimeout), tries: 1}
		n.chunkReq[id] = chunkRef{f, c}
		out = append(out, toy.GetFile(id, f.name, c))
	}
	if f.chunks == nil {
		if len(f.inflight) == 0 {
			ask(0)
		}
		return out
	}
	for c := 0; c < len(f.chunks) && len(f.inflight) < n.cfg.Window; c++ {
		if f.chunks[c] == nil && f.inflight[c] == nil {
			ask(c)
		}
	}
	return out
}

func (n *Node) sendAll(a netip.AddrPort, ms []toy.Message) {
	for _, m := range ms {
		n.send(a, m)
	}
}

// contents handles a filecontents: a chunk of one of our fetches.
func (n *Node) contents(s *session, m toy.Message, at time.Time) {
	n.mu.Lock()
	ref, ok := n.chunkReq[m.ReplyTo]
	if !ok || !m.HasReplyTo || ref.f.from != s.remote {
		n.stats.Unsolicited++
		n.mu.Unlock()
		s.conn.Note(peer.KindWarn, fmt.Sprintf("filecontents answering nothing we asked (replyto %d): ignored", m.ReplyTo))
		return
	}
	delete(n.chunkReq, m.ReplyTo)
	f := ref.f
	if f.done {
		n.mu.Unlock()
		return // a late answer to a retried chunk
	}
	chunk, chunks, size := ref.chunk, 1, int64(len(m.Contents))
	if m.HasChunks { // else the article's node: the whole file, no chunk keys
		chunks, size = m.Chunks, m.Size
		if m.HasChunk {
			chunk = m.Chunk
		}
	}
	var problem string
	switch {
	case chunk != ref.chunk:
		problem = fmt.Sprintf("chunk %d answers a request for chunk %d", chunk, ref.chunk)
	case chunks < 1 || chunks > toy.MaxChunks || chunk >= chunks:
		problem = fmt.Sprintf("chunk %d of %d chunks", chunk, chunks)
	case size < 0 || size > n.cfg.MaxFetchSize:
		problem = fmt.Sprintf("a file of %d bytes (we take at most %d)", size, n.cfg.MaxFetchSize)
	case f.chunks != nil && (len(f.chunks) != chunks || f.size != size):
		problem = fmt.Sprintf("%d chunks and %d bytes, after %d and %d", chunks, size, len(f.chunks), f.size)
	}
	if problem != "" {
		n.mu.Unlock()
		s.conn.Note(peer.KindWarn, fmt.Sprintf("filecontents for %s: %s: ignored", codec.Quote(f.name), problem))
		return
	}
	if f.chunks == nil {
		f.chunks, f.size = make([][]byte, chunks), size
	}
	if r := f.inflight[chunk]; r != nil && r.tries == 1 {
		// Only first tries time a round trip: a retried chunk's answer
		// may be the first request's.
		if sample := at.Sub(r.sent); f.srtt == 0 {
			f.srtt = sample
		} else {
			f.srtt += (sample - f.srtt) / 8
		}
	}
	delete(f.inflight, chunk)
	if f.chunks[chunk] == nil {
		f.chunks[chunk] = m.Contents
		f.got++
	}
	var out []toy.Message
	var data []byte
	var err error
	whole := f.got == len(f.chunks)
	if whole {
		f.done = true
		n.forgetRequestsLocked(f)
		data, err = toy.Reassemble(f.chunks, f.size)
		f.chunks = make([][]byte, len(f.chunks)) // the memory goes; the count stays
		f.got = len(f.chunks)
	} else {
		out = n.fillLocked(f, at)
	}
	n.mu.Unlock()
	if whole {
		n.finish(s, f, data, err)
		return
	}
	for _, m := range out {
		s.reply(m)
	}
}

// forgetRequestsLocked drops the msgids of f's requests.
func (n *Node) forgetRequestsLocked(f *fetch) {
	for id, ref := range n.chunkReq {
		if ref.f == f {
			delete(n.chunkReq, id)
		}
	}
}

// finish writes a whole file into Dest, or gives up the source.
func (n *Node) finish(s *session, f *fetch, data []byte, err error) {
	path := filepath.Join(n.cfg.Dest, f.name)
	if err == nil {
		err = durable.WriteFile(path, data, 0o644)
	}
	n.mu.Lock()
	if err != nil {
		f.state = "failed: " + err.Error()
		n.stats.FetchesFailed++
		if f.want != nil {
			f.want.fetch = nil
		}
	} else {
		f.state = "saved " + path
		n.stats.FilesFetched++
		if f.want != nil {
			f.want.done, f.want.fetch = true, nil
		}
	}
	all := len(n.wants) > 0 && !slices.ContainsFunc(n.wants, func(w *want) bool { return !w.done })
	n.mu.Unlock()
	if err != nil {
		s.conn.NoteNode(peer.KindWarn, fmt.Sprintf("fetching %s from %s failed: %v", codec.Quote(f.name), f.from, err))
		return
	}
	s.conn.NoteNode(peer.KindInfo, fmt.Sprintf("fetched %s from %s (%s in %s): %s", codec.Quote(f.name), f.from, humanize.Bytes(uint64(len(data))), humanize.Count(len(f.chunks), "chunk"), codec.Quote(path)))
	if all {
		n.markComplete(s.conn)
	}
}

// tickFetches retries chunks that timed out, gives up sources that do not
// answer, and moves each --get on: search, fetch the next result, search
// again.
func (n *Node) tickFetches(now time.Time) {
	type batch struct {
		to netip.AddrPort
		ms []toy.Message
	}
	var out []batch
	var notes []string
	var search []*want
	n.mu.Lock()
	for _, f := range n.fetches {
		if f.done {
			continue
		}
		var retry []int
		failed := false
		for c, r := range f.inflight {
			if now.Sub(r.sent) < r.timeout {
				continue
			}
			if r.tries >= n.cfg.ChunkTries {
				failed = true
				break
			}
			retry = append(retry, c)
		}
		if failed {
			f.done, f.state = true, fmt.Sprintf("failed: no answer after %d tries", n.cfg.ChunkTries)
			f.chunks = nil
			n.forgetRequestsLocked(f)
			n.stats.FetchesFailed++
			if f.want != nil {
				f.want.fetch = nil
			}
			notes = append(notes, fmt.Sprintf("fetching %s from %s: no answer after %d tries; given up", codec.Quote(f.name), f.from, n.cfg.ChunkTries))
			continue
		}
		var ms []toy.Message
		slices.Sort(retry)
		for _, c := range retry {
			n.stats.ChunksRetried++
			ms = append(ms, n.retryLocked(f, c, now))
		}
		ms = append(ms, n.fillLocked(f, now)...)
		if len(ms) > 0 {
			out = append(out, batch{f.from, ms})
		}
	}
	for _, w := range n.wants {
		if w.done || w.fetch != nil {
			continue
		}
		if s := n.searches[w.search]; s != nil {
			if i := slices.IndexFunc(s.results, func(a netip.AddrPort) bool { return !slices.Contains(w.tried, a) }); i >= 0 {
				w.tried = append(w.tried, s.results[i])
				w.fetch = n.newFetchLocked(w.name, s.results[i], w, now)
				out = append(out, batch{s.results[i], n.fillLocked(w.fetch, now)})
				continue
			}
		}
		if w.search == 0 || now.Sub(w.searched) >= n.cfg.SearchRetry {
			search = append(search, w)
		}
	}
	n.mu.Unlock()
	for _, t := range notes {
		n.host.Note(peer.KindWarn, nil, t)
	}
	for _, b := range out {
		n.sendAll(b.to, b.ms)
	}
	for _, w := range search {
		id := n.Search(w.name)
		n.mu.Lock()
		w.search, w.searched, w.tried = id, now, nil
		n.mu.Unlock()
	}
}

// retryLocked asks for chunk c of f again, with a new msgid and a doubled
// timeout (the old msgid's answer is still taken if it comes).
func (n *Node) retryLocked(f *fetch, c int, now time.Time) toy.Message {
	r := f.inflight[c]
	if r == nil {
		r = &chunkReq{timeout: chunkTimeout(f.srtt, n.cfg.ChunkTimeout)}
		f.inflight[c] = r
	}
	r.timeout = min(2*r.timeout, n.cfg.MaxChunkTimeout)
	r.sent = now
	r.tries++
	id := newID()
	n.chunkReq[id] = chunkRef{f, c}
	return toy.GetFile(id, f.name, c)
}

// fileFieldsLocked shows the shared files and the fetches.
func (n *Node) fileFieldsLocked(s *peer.Snapshot, now time.Time) {
	for i := len(n.fetches) - 1; i >= 0; i-- {
		f := n.fetches[i]
		v := fmt.Sprintf("%s  from %s  ", codec.PrintableString(f.name), f.from)
		switch {
		case f.state != "":
			v += f.state
		case f.chunks == nil:
			v += "asking"
		default:
			v += fmt.Sprintf("%d/%d chunks (%d%%) of %s", f.got, len(f.chunks), 100*f.got/len(f.chunks), humanize.Bytes(uint64(f.size)))
		}
		s.Fields = append(s.Fields, peer.Field{Label: fieldFetch, Value: v})
	}
	for _, w := range n.wants {
		if w.fetch == nil && !w.done {
			s.Fields = append(s.Fields, peer.Field{Label: fieldFetch, Value: codec.PrintableString(w.name) + "  searching"})
		}
	}
	if n.cfg.Share != "" {
		s.Fields = append(s.Fields, peer.Field{Label: fieldShare, Value: codec.PrintableString(n.cfg.Share)})
	}
}
