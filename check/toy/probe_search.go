package toy

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
	wire "github.com/bitclone/bitclone/codec/toy"
)

// missingName is a file name nobody has: fresh for each use, so that no
// node's seen-set or cache knows it.
func missingName() string {
	var b [8]byte
	rand.Read(b[:])
	return "bitclone-check-" + hex.EncodeToString(b[:]) + ".missing"
}

// isSearchFor matches a search for filename (one passed on, or ours sent
// back).
func isSearchFor(filename string) func(frame) bool {
	return func(f frame) bool {
		m, ok := message(f)
		return ok && f.Cmd == wire.CmdSearch && m.Filename == filename
	}
}

func probeSearchMissing(e *env) check.Result {
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	// ttl 1: this node answers, and passes it on to nobody.
	m := wire.Search(e.id(), missingName(), 1)
	r, got, ok := e.exchange(c, encode(m))
	if !ok {
		return r
	}
	for _, f := range got {
		switch {
		case isReply(wire.CmdSearchResult, m.ID)(f):
			r.Verdict, r.Detail = check.Fail, "a searchresult for a file nobody has"
			return r
		case isSearchFor(m.Filename)(f):
			r.Verdict, r.Detail = check.Warn, "it sent our search back to us, the asker, as the article's node re-broadcasts to every peer it knows"
			return r
		}
	}
	r.Verdict, r.Detail = check.Pass, "no searchresult within "+check.Dur(e.o.Settle())+" for a name nobody has"
	return r
}

// notRunNoFile is the result of a probe that needs --file.
var notRunNoFile = check.Result{Verdict: check.Skip, Detail: "not run: give --file NAME, a file the peer shares"}

func probeSearchFile(e *env) check.Result {
	if e.o.File == "" {
		return notRunNoFile
	}
	c, fail := e.dial()
	if fail != nil {
		return *fail
	}
	defer c.Close()
	// ttl 1: the node has the file itself, and the network is spared.
	m := wire.Search(e.id(), e.o.File, 1)
	r := check.Result{Sent: shown(encode(m))}
	if err := send(c, m); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	f, skipped, err := c.Await(e.o.Timeout, isReply(wire.CmdSearchResult, m.ID))
	if err != nil {
		r.Got = shownFrames(skipped...)
		r.Verdict, r.Detail = check.Fail, "no searchresult for a file it shares: "+err.Error()
		for _, s := range skipped {
			if isSearchFor(m.Filename)(s) {
				r.Detail += "; it sent our search back to us instead, as the article's node re-broadcasts a search and never answers one"
				break
			}
		}
		return r
	}
	r.Got = shownFrames(f)
	res, _ := message(f)
	if res.Filename != "" && res.Filename != m.Filename {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("a searchresult for %s, not the file we searched for", quoteHost(res.Filename))
		return r
	}
	v, why := judgeAddr(res.AtPeer)
	if v != check.Pass {
		r.Verdict, r.Detail = v, "atpeer: "+why
		return r
	}
	r.Verdict, r.Detail = check.Pass, "a searchresult: the file is at "+res.AtPeer.String()
	if ap, ok := ipPort(res.AtPeer); ok && ap == c.Remote() {
		r.Detail += " (the node itself)"
	}
	return r
}

// hopPair is two sockets of ours the node has heard from: the searcher,
// and another, which a node that passes a search on to the peers it
// knows passes it to.
type hopPair struct{ searcher, other *conn }

func (h hopPair) close() {
	h.searcher.Close()
	h.other.Close()
}

func (e *env) hopPair() (hopPair, *check.Result) {
	other, fail := e.known("the other socket of ours")
	if fail != nil {
		return hopPair{}, fail
	}
	searcher, fail := e.known("the searcher")
	if fail != nil {
		other.Close()
		return hopPair{}, fail
	}
	return hopPair{searcher, other}, nil
}

// forwardWait is how long the other socket waits for a search passed on:
// a node that passes it on does so at once, so only one that does not
// waits this long, and a busy node gets half a timeout.
func (e *env) forwardWait() time.Duration { return e.o.Timeout / 2 }

// notObservable is a node that passed our ttl-2 search to no other
// address of ours: it may pass searches only to peers it dialled or was
// given, so what it does with a ttl cannot be seen from here.
func (e *env) notObservable() string {
	return "not observable: within " + check.Dur(e.forwardWait()) + " it passed our ttl-2 search on to no other address of ours that had pinged it (it may pass searches only to peers it dialled or was given)"
}

func probeSearchTTL(e *env) check.Result {
	h, fail := e.hopPair()
	if fail != nil {
		return *fail
	}
	defer h.close()
	// A ttl-2 search, sent twice with one msgid: passed on once, ttl 1.
	twice := wire.Search(e.id(), missingName(), 2)
	r := check.Result{Sent: shown(encode(twice)) + ", twice, from one socket"}
	var sentAt time.Time // the first copy's
	for i := range 2 {
		if err := send(h.searcher, twice); err != nil {
			r.Verdict, r.Detail = check.Fail, err.Error()
			return r
		}
		if i == 0 {
			sentAt = h.searcher.Sending()
		}
	}
	f, _, err := h.other.Await(e.forwardWait(), isSearchFor(twice.Filename))
	if err != nil {
		if check.IsNoAnswer(err) {
			return check.Result{Verdict: check.Skip, Sent: r.Sent, Detail: e.notObservable()}
		}
		r.Verdict, r.Detail = check.Fail, "the other socket: "+err.Error()
		return r
	}
	delay := f.At.Sub(sentAt)
	r.Got = "to the other socket: " + shownFrames(f)
	if fwd, _ := message(f); fwd.HopsLeft() >= twice.TTL {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("it passed our ttl-2 search on with ttl %d: a ttl that is not decremented lets a search circle forever", fwd.HopsLeft())
		return r
	}
	// Forwarding took delay: a repeat, or a ttl-1 search passed on, would
	// come as fast.
	watch := min(e.o.Timeout, max(e.o.Settle(), 4*delay))
	again, err := h.other.Watch(watch)
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "the other socket: "+err.Error()
		return r
	}
	for _, g := range again {
		if isSearchFor(twice.Filename)(g) {
			r.Got += " · " + shownFrames(g)
			r.Verdict, r.Detail = check.Fail, "our search, sent twice with one msgid, was passed on twice: no memory of recent msgids, so a search in a loop never stops"
			return r
		}
	}
	once := wire.Search(e.id(), missingName(), 1)
	r.Sent += " · " + shown(encode(once))
	if err := send(h.searcher, once); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	got, err := h.other.Watch(watch)
	if err != nil {
		r.Verdict, r.Detail = check.Fail, "the other socket: "+err.Error()
		return r
	}
	for _, g := range got {
		if isSearchFor(once.Filename)(g) {
			r.Got += " · " + shownFrames(g)
			r.Verdict, r.Detail = check.Fail, "it passed on a search whose ttl was 1: no hop limit"
			return r
		}
	}
	r.Verdict = check.Pass
	r.Detail = fmt.Sprintf("our ttl-2 search reached another address of ours once, in %s, with ttl 1; a repeat of its msgid, and a ttl-1 search, were not passed on within %s",
		check.Dur(delay), check.Dur(watch))
	return r
}

func probeSearchRouted(e *env) check.Result {
	h, fail := e.hopPair()
	if fail != nil {
		return *fail
	}
	defer h.close()
	m := wire.Search(e.id(), missingName(), 2)
	r := check.Result{Sent: shown(encode(m))}
	if err := send(h.searcher, m); err != nil {
		r.Verdict, r.Detail = check.Fail, err.Error()
		return r
	}
	f, _, err := h.other.Await(e.forwardWait(), isSearchFor(m.Filename))
	if err != nil {
		if check.IsNoAnswer(err) {
			return check.Result{Verdict: check.Skip, Sent: r.Sent, Detail: e.notObservable()}
		}
		r.Verdict, r.Detail = check.Fail, "the other socket: "+err.Error()
		return r
	}
	r.Got = "to the other socket: " + shownFrames(f)
	// The other socket plays a node that has the file.
	fwd, _ := message(f)
	at := h.other.Local()
	hit := wire.SearchResult(e.id(), fwd.ID, m.Filename, wire.Addr{Host: at.Addr().String(), Port: at.Port()})
	r.Sent += " · from the other socket: " + shown(encode(hit))
	if err := send(h.other, hit); err != nil {
		r.Verdict, r.Detail = check.Fail, "the other socket: "+err.Error()
		return r
	}
	back, skipped, err := h.searcher.Await(e.o.Timeout, isReply(wire.CmdSearchResult, m.ID))
	if err != nil {
		r.Got += " · to the searcher: " + shownFrames(skipped...)
		r.Verdict, r.Detail = check.Fail, "the other socket's searchresult did not come back to the searcher: "+err.Error()+"; results are to be routed back along the search's path"
		return r
	}
	r.Got += " · to the searcher: " + shownFrames(back)
	res, _ := message(back)
	if res.AtPeer != hit.AtPeer {
		r.Verdict, r.Detail = check.Fail, fmt.Sprintf("the result came back with atpeer %s, not the %s it was sent with", res.AtPeer, hit.AtPeer)
		return r
	}
	r.Verdict, r.Detail = check.Pass, "the other socket's searchresult came back to the searcher, replyto our msgid, atpeer unchanged"
	return r
}
