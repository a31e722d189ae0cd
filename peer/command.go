package peer

import (
	"errors"
	"fmt"
	"strings"
)

// Op is what a Command asks for.
type Op uint8

const (
	OpSend    Op = iota + 1 // send Line to Targets (none: every established peer)
	OpConnect               // dial Targets[0]
	OpDrop                  // close the connection to Targets[0]
	OpSave                  // write the peers file now
	OpPeers                 // front end: list connections
	OpAddrs                 // front end: list the address book
	OpHelp                  // front end: show the command language
	OpQuit                  // front end: save and exit
	OpForget                // remove Targets[0] from the address book
)

// Command is one parsed line of the command language shared by the TUI and
// the headless front end. The node executes OpSend, OpConnect, OpDrop,
// OpForget and OpSave; the others are for the front end.
type Command struct {
	Op      Op
	Targets []string // HOST:PORT of connections (remote or listening address)
	Line    string   // the protocol line to send, without its terminator
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

// ParseCommand parses one line of the command language. Surrounding spaces are
// trimmed; inside a raw protocol line everything is kept as typed, because
// the command line is a debugging tool and must be able to send broken lines.
func ParseCommand(input string) (Command, error) {
	input = strings.TrimRight(input, "\r\n")
	trimmed := strings.TrimSpace(input)
	switch {
	case trimmed == "":
		return Command{}, ErrEmptyCommand
	case strings.HasPrefix(trimmed, "@"):
		target, line, ok := strings.Cut(trimmed[1:], " ")
		line = strings.TrimLeft(line, " ")
		if !ok || target == "" || line == "" {
			return Command{}, errors.New("usage: @HOST:PORT LINE")
		}
		return Command{Op: OpSend, Targets: []string{target}, Line: line}, nil
	case strings.HasPrefix(trimmed, ":"):
		return parseColon(trimmed)
	}
	return Command{Op: OpSend, Line: trimmed}, nil
}

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
