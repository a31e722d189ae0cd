package bitclone

import (
	"bytes"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Parse decodes one line, given without its terminator (one trailing "\r"
// is tolerated and stripped). Errors are ErrEmptyLine, ErrLineTooLong or a
// *ParseError naming the field. The message is a value (Ping, not *Ping),
// boxed in the interface: see Decoder for a parser that avoids that
// allocation.
func Parse(line []byte) (Message, error) {
	f, err := split(line)
	if err != nil {
		return nil, err
	}
	switch f.cmd {
	case CmdVersion:
		return result(parseVersion(&f))
	case CmdVerack:
		return result(parseVerack(&f))
	case CmdGetAddr:
		return result(parseGetAddr(&f))
	case CmdAddr:
		return result(parseAddr(&f, nil))
	case CmdPing:
		return result(parsePing(&f))
	case CmdPong:
		return result(parsePong(&f))
	case CmdReject:
		return result(parseReject(&f))
	default: // CmdMessage: split knows no other command
		return result(parseInfo(&f))
	}
}

// Decoder parses like Parse but returns pointers (*Ping, *Version, ...) to
// values it owns, so that no message needs boxing: parsing ping, pong,
// verack or getaddr allocates nothing. The value pointed to is overwritten
// by the next call; strings inside it are fresh and may be kept, but an
// addr's Entries are valid only until the next call: they live in a buffer
// that Decoders share (an addr flood allocated 40 kB per message for them).
// The zero Decoder is ready to use; it is not safe for concurrent use.
type Decoder struct {
	entries *[MaxAddrs]AddrEntry // under d.addr.Entries, from entryBufs
	version Version
	verack  Verack
	getaddr GetAddr
	addr    Addr
	ping    Ping
	pong    Pong
	reject  Reject
	info    Info
}

// Parse decodes line as the package-level Parse does; see Decoder.
func (d *Decoder) Parse(line []byte) (Message, error) {
	if d.entries != nil { // the last addr's Entries end here
		d.addr = Addr{}
		entryBufs.Put(d.entries)
		d.entries = nil
	}
	f, err := split(line)
	if err != nil {
		return nil, err
	}
	switch f.cmd {
	case CmdVersion:
		d.version, err = parseVersion(&f)
		return result(&d.version, err)
	case CmdVerack:
		d.verack, err = parseVerack(&f)
		return result(&d.verack, err)
	case CmdGetAddr:
		d.getaddr, err = parseGetAddr(&f)
		return result(&d.getaddr, err)
	case CmdAddr:
		buf := entryBufs.Get().(*[MaxAddrs]AddrEntry)
		d.addr, err = parseAddr(&f, buf[:0])
		if len(d.addr.Entries) > 0 {
			d.entries = buf
		} else {
			entryBufs.Put(buf)
		}
		return result(&d.addr, err)
	case CmdPing:
		d.ping, err = parsePing(&f)
		return result(&d.ping, err)
	case CmdPong:
		d.pong, err = parsePong(&f)
		return result(&d.pong, err)
	case CmdReject:
		d.reject, err = parseReject(&f)
		return result(&d.reject, err)
	default: // CmdMessage
		d.info, err = parseInfo(&f)
		return result(&d.info, err)
	}
}

// result boxes m unless there was an error, so callers never see a
// half-parsed message.
func result[M Message](m M, err error) (Message, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// CommandOf returns the command of a line for statistics: the text before
// the first '|' (the whole line, less a trailing "\r", if none). The eight
// commands come back as the constants, without allocating; anything else
// is cut to 32 bytes and made Printable.
func CommandOf(line []byte) string {
	name, _, found := bytes.Cut(line, pipe)
	if !found {
		name = bytes.TrimSuffix(name, cr)
	}
	if cmd := known(name); cmd != "" {
		return cmd
	}
	return shortPrintable(name)
}

var (
	pipe = []byte("|")
	cr   = []byte("\r")
)

// known returns the constant for one of the eight command names, or "".
func known(name []byte) string {
	switch string(name) { // no allocation: the compiler compares in place
	case CmdVersion:
		return CmdVersion
	case CmdVerack:
		return CmdVerack
	case CmdGetAddr:
		return CmdGetAddr
	case CmdAddr:
		return CmdAddr
	case CmdPing:
		return CmdPing
	case CmdPong:
		return CmdPong
	case CmdReject:
		return CmdReject
	case CmdMessage:
		return CmdMessage
	}
	return ""
}

// fields walks the '|'-separated fields after the command without ever
// holding them in a slice, so a line of a million '|' costs no memory.
type fields struct {
	problems
	n    int    // number of fields, the command included
	rest []byte // fields not yet read, still joined by '|'
}

// split checks the line as a whole and identifies its command.
func split(line []byte) (fields, error) {
	line = bytes.TrimSuffix(line, cr)
	switch {
	case len(line) == 0:
		return fields{}, ErrEmptyLine
	case len(line) > MaxLine:
		return fields{}, ErrLineTooLong
	}
	name, rest, _ := bytes.Cut(line, pipe)
	cmd := known(name)
	if cmd == "" {
		return fields{}, unknownCommand(name)
	}
	return fields{
		problems: problems{cmd: cmd},
		n:        1 + bytes.Count(line, pipe),
		rest:     rest,
	}, nil
}

// next returns the next field; past the last it returns nil.
func (f *fields) next() []byte {
	field, rest, _ := bytes.Cut(f.rest, pipe)
	f.rest = rest
	return field
}

// want checks the field count, the command included; it accepts lo..hi.
func (f *fields) want(lo, hi int) bool {
	if f.n >= lo && f.n <= hi {
		return true
	}
	want := strconv.Itoa(lo)
	if hi != lo {
		want += " or " + strconv.Itoa(hi)
	}
	f.fail("", "want "+want+" "+plural(lo, "field", "fields")+", got "+strconv.Itoa(f.n))
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// The typed readers below return the zero value once a problem is recorded,
// so a parser can read every field and report only the first problem.

func (f *fields) uint(name string) uint64 {
	b := f.next()
	if f.err != nil {
		return 0
	}
	n, why := parseUint(b)
	if why != "" {
		f.fail(name, why)
	}
	return n
}

func (f *fields) nonzero(name string) uint64 {
	n := f.uint(name)
	if n == 0 {
		f.fail(name, whyZero)
	}
	return n
}

func (f *fields) time(name string) int64 {
	b := f.next()
	if f.err != nil {
		return 0
	}
	t, why := parseTime(b)
	if why != "" {
		f.fail(name, why)
	}
	return t
}

func (f *fields) addr(name string) netip.AddrPort {
	b := f.next()
	if f.err != nil {
		return netip.AddrPort{}
	}
	ap, why := parseAddrPort(string(b))
	if why != "" {
		f.fail(name, why)
	}
	return ap
}

// code reads a number that must lie in lo..hi.
func (f *fields) code(lo, hi int) int {
	b := f.next()
	if f.err != nil {
		return 0
	}
	n, why := parseUint(b)
	if why == "" && (n < uint64(lo) || n > uint64(hi)) {
		why = whyRange
	}
	if why == whyRange {
		why += " " + strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
	}
	if why != "" {
		f.fail("code", why)
	}
	return int(n)
}

// text reads free text. '|' cannot occur in it; a CR or LF is refused
// because it could not be sent back faithfully.
func (f *fields) text(name string, mayBeEmpty bool) string {
	b := f.next()
	if f.err != nil {
		return ""
	}
	if why := textProblem(b, mayBeEmpty); why != "" {
		f.fail(name, why)
		return ""
	}
	return string(b)
}

func textProblem(s []byte, mayBeEmpty bool) string {
	// Three vectorised scans beat one byte loop on text of any length.
	switch {
	case bytes.IndexByte(s, '|') >= 0:
		return whyPipe
	case bytes.IndexByte(s, '\r') >= 0 || bytes.IndexByte(s, '\n') >= 0:
		return whyBreak
	case len(s) == 0 && !mayBeEmpty:
		return whyEmpty
	}
	return ""
}

// parseUint reads unsigned decimal digits; leading zeros are fine.
func parseUint[T string | []byte](b T) (uint64, string) {
	if len(b) == 0 {
		return 0, whyEmpty
	}
	var n uint64
	overflow := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, whyNaN // even after an overflow: the better reason
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			overflow = true
		}
		n = n*10 + d
	}
	if overflow {
		return 0, whyRange
	}
	return n, ""
}

// parseTime reads unix seconds: a uint that fits an int64.
func parseTime[T string | []byte](b T) (int64, string) {
	n, why := parseUint(b)
	if why == "" && n > math.MaxInt64 {
		why = whyRange
	}
	if why != "" {
		return 0, why
	}
	return int64(n), ""
}

func parseVersion(f *fields) (Version, error) {
	if !f.want(9, 9) {
		return Version{}, f.result()
	}
	v := Version{
		Version:   f.uint("version"),
		Services:  f.uint("services"),
		Time:      f.time("time"),
		Recipient: f.addr("recipient"),
		Sender:    f.addr("sender"),
		Nonce:     f.nonzero("nonce"),
		UserAgent: f.text("user agent", false),
		BlockID:   f.uint("block id"),
	}
	return v, f.result()
}

func parseVerack(f *fields) (Verack, error) {
	f.want(2, 2)
	return Verack{Nonce: f.uint("nonce")}, f.result()
}

func parsePing(f *fields) (Ping, error) {
	f.want(2, 2)
	return Ping{Nonce: f.uint("nonce")}, f.result()
}

func parsePong(f *fields) (Pong, error) {
	f.want(2, 2)
	return Pong{Nonce: f.uint("nonce")}, f.result()
}

func parseGetAddr(f *fields) (GetAddr, error) {
	f.want(1, 1)
	return GetAddr{}, f.result()
}

// Reject and message may leave out the detail: some peers send 3 fields.

func parseReject(f *fields) (Reject, error) {
	f.want(3, 4)
	r := Reject{
		Code:   f.code(400, 599),
		Reason: f.text("reason", true),
		Detail: f.text("detail", true),
	}
	return r, f.result()
}

func parseInfo(f *fields) (Info, error) {
	f.want(3, 4)
	m := Info{
		Code:    f.code(100, 199),
		Summary: f.text("summary", true),
		Detail:  f.text("detail", true),
	}
	return m, f.result()
}

// entryBufs holds the buffers of Decoders' addr entries: a connection
// holds one only from an addr to its next message.
var entryBufs = sync.Pool{New: func() any { return new([MaxAddrs]AddrEntry) }}

// parseAddr parses an addr into buf when it is not nil (its capacity is
// MaxAddrs), else into a fresh slice.
func parseAddr(f *fields, buf []AddrEntry) (Addr, error) {
	if f.n < 2 {
		f.fail("", "want at least 2 fields, got 1")
		return Addr{}, f.result()
	}
	count := f.uint("count")
	if f.err == nil && count > MaxAddrs {
		f.fail("count", "more than "+strconv.Itoa(MaxAddrs))
	}
	// The count is checked against the fields present before anything is
	// allocated, so a lying count costs nothing.
	found := (f.n - 2) / 2
	if f.err == nil && (f.n-2)%2 == 1 {
		f.fail(entryField(found, "address"), whyMiss) // a time without its address
	}
	if f.err == nil && uint64(found) != count {
		f.fail("count", "says "+strconv.FormatUint(count, 10)+", found "+
			strconv.Itoa(found)+" "+plural(found, "entry", "entries"))
	}
	if f.err != nil || count == 0 {
		return Addr{}, f.result()
	}
	// netip wants strings; the entries are read through a string that
	// shares the line's bytes rather than a copy of them (an addr flood
	// copied 30 kB per message). Safe: nothing below keeps a piece of it
	// (netip keeps only a zone, which parseAddrPort refuses first, and the
	// reasons are constants).
	rest := unsafe.String(unsafe.SliceData(f.rest), len(f.rest))
	var entries []AddrEntry
	if buf != nil {
		entries = buf[:count:count]
	} else {
		entries = make([]AddrEntry, count)
	}
	for i := range entries {
		var timeText, addrText string
		timeText, rest, _ = strings.Cut(rest, "|")
		addrText, rest, _ = strings.Cut(rest, "|")
		t, why := parseTime(timeText)
		if why != "" {
			f.fail(entryField(i, "time"), why)
			break
		}
		ap, why := parseAddrPort(addrText)
		if why != "" {
			f.fail(entryField(i, "address"), why)
			break
		}
		entries[i] = AddrEntry{Time: t, Addr: ap}
	}
	if f.err != nil {
		return Addr{}, f.result()
	}
	return Addr{Entries: entries}, nil
}

// entryField names a field of entry i (0-based) as people count:
// entryField(0, "time") is "entry 1 time".
func entryField(i int, field string) string {
	return "entry " + strconv.Itoa(i+1) + " " + field
}
