package toy

import (
	"errors"
	"fmt"
	"slices"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

func probeGetFileMissing(e *env) check.Result {
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	// No chunk key, as the article's node asks.
	m := wire.GetFile(e.id(), missingName(), -1)
	r, got, ok := e.exchange(c, encode(m))
	if !ok {
		return r
	}
	what := "silence"
	for _, f := range got {
		if anyReplyTo(m.ID)(f) {
			what = "a " + f.Cmd
			if fc, _ := message(f); f.Cmd == wire.CmdFileContents && len(fc.Contents) > 0 {
				what = fmt.Sprintf("a filecontents of %d bytes for a file nobody has", len(fc.Contents))
			}
			break
		}
	}
	if why := e.stillAnswers(c); why != "" {
		r.Verdict, r.Detail = check.Fail, what+", then "+why
		return r
	}
	r.Verdict, r.Detail = check.Pass, what+"; then it still answered our ping"
	return r
}

// chunkTries is how often a chunk is asked for before its loss fails
// the check: UDP may drop a datagram.
const chunkTries = 3

// fetcher fetches the chunks of --file on one socket.
type fetcher struct {
	e     *env
	c     *conn
	asked map[int64]bool // every getfile's msgid
}

// chunk asks for a chunk (-1: without a chunk key, as the article's node
// asks) until a filecontents answers it, chunkTries times at most. An
// answer to any of the chunk's asks counts, for one to an ask we gave up
// on may come late; a late answer to an earlier chunk is skipped; one to
// no ask of ours is judged wrong. sent is the first ask, for the report.
func (ft *fetcher) chunk(chunk int) (fc wire.Message, f frame, sent []byte, err error) {
	var ids []int64
	answers := func(f frame) bool {
		if f.Cmd != wire.CmdFileContents {
			return false
		}
		m, ok := message(f)
		return !ok || slices.Contains(ids, m.ReplyTo) || !ft.asked[m.ReplyTo]
	}
	for try := range chunkTries {
		m := wire.GetFile(ft.e.id(), ft.e.o.File, chunk)
		ids = append(ids, m.ID)
		ft.asked[m.ID] = true
		if try == 0 {
			sent = encode(m)
		}
		if err = send(ft.c, m); err != nil {
			return fc, f, sent, err
		}
		f, _, err = ft.c.Await(ft.e.o.Timeout, answers)
		switch {
		case check.IsNoAnswer(err):
			continue
		case err != nil:
			return fc, f, sent, err
		}
		fc, ok := message(f)
		if !ok || !slices.Contains(ids, fc.ReplyTo) {
			return fc, f, sent, errors.New(notReply(f, wire.CmdFileContents, m.ID))
		}
		return fc, f, sent, nil
	}
	return fc, frame{}, sent, fmt.Errorf("%w (asked %d times)", err, chunkTries)
}

func probeGetFile(e *env) check.Result {
	if e.o.File == "" {
		return notRunNoFile
	}
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	ft := &fetcher{e: e, c: c, asked: map[int64]bool{}}
	first, f, sent, err := ft.chunk(-1)
	r := check.Result{Sent: shown(sent)}
	if f.Raw != nil {
		r.Got = shownFrames(f)
	}
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "no filecontents for a file it shares: "+err.Error()
		return r
	}
	if !first.HasChunks {
		r.Verdict, r.Detail = check.Pass, fmt.Sprintf("%d bytes, base64 right, in one datagram (no chunk keys)", len(first.Contents))
		return r
	}
	if first.Chunk != 0 {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("a getfile without a chunk key got chunk %d, not the first", first.Chunk)
		return r
	}
	n := first.Chunks
	chunks := make([][]byte, n)
	chunks[0] = first.Contents
	fetched := min(n, e.o.MaxChunks)
	for i := 1; i < fetched; i++ {
		fc, f, sent, err := ft.chunk(i)
		if i == 1 {
			r.Sent += " · " + shown(sent) + ", and so on"
		}
		wrong := ""
		switch {
		case err != nil:
			wrong = fmt.Sprintf("chunk %d of %d: %v", i, n, err)
		case !fc.HasChunks || fc.Chunk != i || fc.Chunks != n || fc.Size != first.Size:
			wrong = fmt.Sprintf("asked for chunk %d of %d (%d bytes in all), got %s", i, n, first.Size, chunkWords(fc))
		}
		if wrong != "" {
			if f.Raw != nil {
				r.Got += " · " + shownFrames(f)
			}
			r.Verdict, r.Detail = check.Fail, wrong
			return r
		}
		chunks[i] = fc.Contents
	}
	if fetched < n {
		r.Verdict = check.Pass
		r.Detail = fmt.Sprintf("the first %d of %d chunks, base64 right, each chunk %d, the size (%d bytes) not checked: we fetch %d at most",
			fetched, n, len(first.Contents), first.Size, e.o.MaxChunks)
		return r
	}
	if _, err := wire.Reassemble(chunks, first.Size); err != nil {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("%d chunks: %v", n, err)
		return r
	}
	r.Verdict, r.Detail = check.Pass, fmt.Sprintf("%d bytes in %d %s, base64 right, the sizes adding up", first.Size, n, check.Plural(n, "chunk", "chunks"))
	return r
}

// chunkWords says which chunk a filecontents says it is.
func chunkWords(m wire.Message) string {
	if !m.HasChunks {
		return "a filecontents without chunk keys"
	}
	return fmt.Sprintf("chunk %d of %d (%d bytes in all)", m.Chunk, m.Chunks, m.Size)
}
