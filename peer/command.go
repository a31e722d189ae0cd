package peer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Op is what a Command asks for.
type Op uint8

const (
	OpSend    Op = iota + 1 // send Frame to Targets (none: every established peer)
	OpConnect               // dial Targets[0]
	OpDrop                  // close the connection to Targets[0]
	OpSave                  // write the peers file now
	OpPeers                 // front end: list connections
	OpAddrs                 // front end: list the address book
	OpHelp                  // front end: show the command language
	OpQuit                  // front end: save and exit
	OpForget                // remove Targets[0] from the address book
	OpDialect               // front end: run the dialect's colon command Name with Args
)

// Command is one parsed line of the command language shared by the TUI and
// the headless front end. The node executes OpSend, OpConnect, OpDrop,
// OpForget and OpSave; the others are for the front end.
type Command struct {
	Op      Op
	Targets []string // HOST:PORT of connections (remote or listening address)
	Line    string   // the protocol line to send, as typed (the human form)
	// Frame is Line's exact wire bytes, as the dialect encodes it
	// (Dialect.Prepare): the line ending belongs to the codec, not the node.
	Frame []byte
	// Name and Args are a dialect's own colon command (OpDialect).
	Name string
	Args []string
}

// Colon commands, in the order help lists them; completion uses this list.
var ColonCommands = []string{":connect", ":drop", ":forget", ":peers", ":addrs", ":save", ":quit", ":help"}

// CommandHelp describes the command language, for :help in every front end.
const CommandHelp = `commands:
  LINE                 send a raw protocol line (e.g. ping|42) to the selected peers,
                       or to every established peer when none is selected
  @HOST:PORT LINE      send LINE to one peer
  :connect HOST:PORT   dial a peer (and lift a :drop)
  :drop HOST:PORT      close the connection to a peer; not redialled or let in for a while
  :forget HOST:PORT    remove an address from the address book (and the peers file)
  :peers               list connections
  :addrs               list the address book
  :save                write the peers file now
  :quit                save the peers file and exit
  :help                this text`

// ErrEmptyCommand is returned for a blank input line.
var ErrEmptyCommand = errors.New("empty command")

// ParseCommand parses one line of the command language. A raw protocol line
// is sent exactly as typed, spaces at either end included, because the
// command line is a debugging tool and must be able to send broken lines
// (Warning points such spaces out). Only a line end ("\r\n", "\n") is cut.
// Spaces before '@' or ':' and around @HOST:PORT are not part of a line.
func ParseCommand(input string) (Command, error) {
	input = strings.TrimRight(input, "\r\n")
	trimmed := strings.TrimSpace(input)
	switch {
	case trimmed == "":
		return Command{}, ErrEmptyCommand
	case strings.HasPrefix(trimmed, "@"):
		target, line, ok := strings.Cut(strings.TrimLeft(input, " \t")[1:], " ")
		line = strings.TrimLeft(line, " ")
		if !ok || target == "" || strings.TrimSpace(line) == "" {
			return Command{}, errors.New("usage: @HOST:PORT LINE")
		}
		return Command{Op: OpSend, Targets: []string{target}, Line: line}, nil
	case strings.HasPrefix(trimmed, ":"):
		return parseColon(trimmed)
	}
	return Command{Op: OpSend, Line: input}, nil
}

// Warning points out what a user may not have meant to send: spaces at the
// ends of a raw line, which go on the wire as typed. It quotes the line (its
// end, if long), so the spaces show. "" when there is none.
func (c Command) Warning() string {
	w := c.Spaces()
	if w == "" {
		return ""
	}
	line := c.Line
	if len(line) > maxQuoted {
		line = "…" + line[len(line)-maxQuoted:]
	}
	return w + ": " + strconv.Quote(line)
}

// Spaces says whether a raw line has spaces at its ends, without quoting
// it: "line has trailing spaces", or "".
func (c Command) Spaces() string {
	if c.Op != OpSend {
		return ""
	}
	lead := strings.TrimLeft(c.Line, " \t") != c.Line
	trail := strings.TrimRight(c.Line, " \t") != c.Line
	switch {
	case lead && trail:
		return "line has leading and trailing spaces"
	case lead:
		return "line has leading spaces"
	case trail:
		return "line has trailing spaces"
	}
	return ""
}

// maxQuoted is how much of a line a warning quotes.
const maxQuoted = 40

func parseColon(s string) (Command, error) {
	fields := strings.Fields(s)
	name, args := fields[0], fields[1:]
	simple := map[string]Op{":peers": OpPeers, ":addrs": OpAddrs, ":save": OpSave, ":quit": OpQuit, ":help": OpHelp, ":q": OpQuit}
	if op, ok := simple[name]; ok {
		if len(args) != 0 {
			return Command{}, fmt.Errorf("%s takes no arguments", name)
		}
		return Command{Op: op}, nil
	}
	switch name {
	case ":connect", ":drop", ":forget":
		if len(args) != 1 {
			return Command{}, fmt.Errorf("usage: %s HOST:PORT", name)
		}
		op := map[string]Op{":connect": OpConnect, ":drop": OpDrop, ":forget": OpForget}[name]
		return Command{Op: op, Targets: args}, nil
	}
	return Command{}, fmt.Errorf("unknown command %q (try :help)", name)
}
