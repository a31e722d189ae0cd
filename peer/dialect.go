package peer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Dialect is what the front ends (tui, headless, transcript) know of a
// protocol, so that none of them imports a codec: how its frames look, how
// a line the user types becomes wire bytes, how a frame reads in words,
// what Tab completes, how lines are coloured, its own colon commands and
// the panes it adds. Each protocol builds one value beside its codec
// (peer/bitclone.Dialect); cli hands it to the front end.
type Dialect struct {
	// Name is the protocol's name as the user knows it ("bitclone").
	Name string
	// Framing is how frames look on the wire; its Text is a frame in words
	// (for a text dialect, the line itself).
	Framing Framing
	// Binary says a frame's words are not its bytes: the front ends show
	// the exact bytes beside the words (the JSON transcript carries them)
	// and never speak of line ends.
	Binary bool
	// Encode turns a line the user typed, in the human form, into the
	// frame's exact wire bytes. An error is a line that cannot be sent at
	// all; a sendable line the spec frowns on is Node.Validate's business.
	Encode func(line string) ([]byte, error)
	// FrameEnd names how a frame's bytes end, for the raw view's header
	// ("ends with CRLF"); nil when frames have no terminator.
	FrameEnd func(raw []byte) string
	// Templates are what Tab offers for the start of a line: whole, valid
	// lines whose command word starts with word (none once the line has
	// arguments).
	Templates func(word string, at TemplateContext) []string
	// Class is the colour class of a frame by its command (Framing.Command's name).
	Class func(command string) Class
	// Messages are the frame commands (Framing.Command's names) in the
	// spec's order, for tables that list them.
	Messages []string
	// ColonCommands are the dialect's own colon commands, after the common ones.
	ColonCommands []ColonCommand
	// Panes are the panes the dialect adds to the TUI, below the connections.
	Panes []Pane
	// Hint is what the empty command line suggests typing ("ping|42").
	Hint string
	// Wire is what a tool must know besides the name to read the frames
	// again (a recording's replay), in the dialect's own form: PEX's byte
	// order and piece size ("big/4096"). "" is the dialect's default.
	Wire string
}

// TemplateContext is what a completion template may fill in, as plain
// data: the moment, the connection the line would go to, our own
// addresses and identity, and randomness for nonces.
type TemplateContext struct {
	Now time.Time
	// Conn is the connection the line would go to; Known is false when
	// there is none, and Conn then holds only the address typed, if any.
	Conn  ConnInfo
	Known bool
	// Listen, External, Agent and Nonce are the node's, as in Snapshot.
	Listen, External, Agent string
	Nonce                   uint64
	Rand                    *rand.Rand
}

// Class groups commands for colour. Meaning never rests on it alone.
type Class uint8

const (
	ClassUnknown   Class = iota // not a command of the dialect: the peer deviates
	ClassHandshake              // opening a session (version, hello)
	ClassKeepalive              // liveness chatter (ping, pong)
	ClassData                   // what the protocol exists to move (addresses, pieces)
	ClassError                  // a refusal or an error frame
	ClassMessage                // text for people
)

// ColonCommand is a colon command a dialect adds (":have 41").
type ColonCommand struct {
	Name  string // with its colon
	Usage string // the arguments, for help ("PIECE")
	Help  string // one line
	// Run executes it on the node the front end shows, and returns what
	// to print ("" for nothing).
	Run func(node Node, args []string) (string, error)
}

// Pane is a block of the TUI that a dialect adds (a piece map). It draws
// a snapshot as plain text; the front end escapes, cuts and frames it.
type Pane struct {
	Title string
	// Rows draws the body in at most h rows of w columns (more are cut).
	Rows func(s Snapshot, w, h int) []string
	// Want is how many body rows the pane would like at width w; the
	// front end may give fewer, or none on a small screen.
	Want func(s Snapshot, w int) int
	// Fields are the labels of the Snapshot.Fields the pane draws: the
	// node's own pane leaves them out, so that nothing shows twice.
	Fields []string
}

// Colon returns the dialect's colon command called name, if any.
func (d *Dialect) Colon(name string) (ColonCommand, bool) {
	for _, c := range d.ColonCommands {
		if c.Name == name {
			return c, true
		}
	}
	return ColonCommand{}, false
}

// Help is CommandHelp followed by the dialect's own commands.
func (d *Dialect) Help() string {
	if len(d.ColonCommands) == 0 {
		return CommandHelp
	}
	var b strings.Builder
	b.WriteString(CommandHelp)
	for _, c := range d.ColonCommands {
		head := c.Name
		if c.Usage != "" {
			head += " " + c.Usage
		}
		b.WriteString("\n  ")
		b.WriteString(head)
		b.WriteString(strings.Repeat(" ", max(1, helpColumn-len(head))))
		b.WriteString(c.Help)
	}
	return b.String()
}

// helpColumn is where CommandHelp's descriptions start, after two spaces.
const helpColumn = 21

// ColonNames are the colon commands Tab completes: the common ones, then
// the dialect's.
func (d *Dialect) ColonNames() []string {
	out := append([]string(nil), ColonCommands...)
	for _, c := range d.ColonCommands {
		out = append(out, c.Name)
	}
	return out
}

// Parse is ParseCommand that also knows the dialect's colon commands: one
// of those comes back as OpDialect. The common commands keep their
// meaning whatever a dialect names its own.
func (d *Dialect) Parse(input string) (Command, error) {
	if f := strings.Fields(input); len(f) > 0 && !slices.Contains(ColonCommands, f[0]) && f[0] != ":q" {
		if _, ok := d.Colon(f[0]); ok {
			return Command{Op: OpDialect, Name: f[0], Args: f[1:]}, nil
		}
	}
	return ParseCommand(input)
}

// Run executes an OpDialect command on node and returns what to print.
func (d *Dialect) Run(node Node, c Command) (string, error) {
	cc, ok := d.Colon(c.Name)
	if !ok {
		return "", fmt.Errorf("unknown command %q (try :help)", c.Name)
	}
	return cc.Run(node, c.Args)
}

// ErrNoFrame is OpSend without wire bytes: the front end must encode the
// typed line through its dialect (the line ending is the codec's).
var ErrNoFrame = errors.New("nothing to send: the line was not encoded")

// Prepare readies a parsed command for the node: for OpSend it encodes
// Line into Frame through the dialect. It returns an error only for a line
// the dialect cannot turn into bytes.
func (d *Dialect) Prepare(c *Command) error {
	if c.Op != OpSend {
		return nil
	}
	frame, err := d.Encode(c.Line)
	if err != nil {
		return err
	}
	c.Frame = frame
	return nil
}

// Typed names what the user's input becomes on the wire, for hints: "raw
// lines" in a text dialect, "frames" in a binary one.
func (d *Dialect) Typed() string {
	if d.Binary {
		return "frames"
	}
	return "raw lines"
}

// ClassOf is Class, or ClassUnknown when the dialect gives none.
func (d *Dialect) ClassOf(command string) Class {
	if d.Class == nil {
		return ClassUnknown
	}
	return d.Class(command)
}
