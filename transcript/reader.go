package transcript

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/bitclone/bitclone/codec"
)

// LineError is a transcript line that could not be used.
type LineError struct {
	Line int // 1-based
	Err  error
	// Truncated is set for a last line without its newline that does not
	// parse: the recorder was stopped in the middle of writing it.
	Truncated bool
}

func (e *LineError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("line %d: truncated last line, ignored", e.Line)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// Read reads a whole transcript. Lines that cannot be used are skipped and
// come back as *LineError in problems; err is only for a failure of r
// itself. Empty lines are ignored.
func Read(r io.Reader) (entries []Entry, problems []error, err error) {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, rerr := br.ReadBytes('\n') // no length limit: raw may be a MiB line
		if rerr != nil && rerr != io.EOF {
			return entries, problems, rerr
		}
		complete := bytes.HasSuffix(line, []byte("\n"))
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			e, perr := parseEntry(trimmed)
			switch {
			case perr == nil:
				entries = append(entries, e)
			case !complete:
				problems = append(problems, &LineError{Line: n, Err: perr, Truncated: true})
			default:
				problems = append(problems, &LineError{Line: n, Err: perr})
			}
		}
		if rerr == io.EOF {
			return entries, problems, nil
		}
	}
}

func parseEntry(line []byte) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return e, err
	}
	switch e.Kind {
	case KindConnected, KindClosed:
	case KindRecv, KindSend:
		if e.Raw == nil {
			return e, fmt.Errorf("%s without raw bytes", e.Kind)
		}
	case "":
		return e, errors.New("no kind")
	default:
		return e, fmt.Errorf("unknown kind %s", codec.Quote(e.Kind))
	}
	if e.Dir != "in" && e.Dir != "out" {
		return e, fmt.Errorf("dir %s: want in or out", codec.Quote(e.Dir))
	}
	if e.Conn == 0 {
		return e, errors.New("no conn")
	}
	return e, nil
}
