package peer

// Node is what a front end needs from a running node of any dialect.
type Node interface {
	// Events delivers what happens, in batches (one per burst, in order,
	// never empty); it is closed when the node stops.
	Events() <-chan []Event
	// Do executes OpSend, OpConnect, OpDrop, OpForget and OpSave. It does not block on
	// the network: a send is queued, a dial starts in the background.
	Do(c Command) error
	// Snapshot returns a copy of the node's state.
	Snapshot() Snapshot
	// Validate judges a protocol line the user typed against the dialect's
	// spec, for hints and warnings. It never stops a send: the command line
	// is a debugging tool.
	Validate(line string) Verdict
}

// Level grades a line against a dialect's spec.
type Level uint8

const (
	Valid   Level = iota // exactly what the spec says
	Lenient              // bitclone accepts it, the spec does not: strict peers may refuse it
	Invalid              // bitclone refuses it
)

// Verdict is Validate's answer. Text says, for a Lenient or Invalid line,
// what is wrong in the spec's words ("detail: missing: the spec wants ...").
type Verdict struct {
	Level Level
	Text  string
}

// Warning is what a front end says as it sends the line anyway: "" for a
// Valid one.
func (v Verdict) Warning() string {
	switch v.Level {
	case Lenient:
		return "off the spec (bitclone accepts it, strict peers may not): " + v.Text
	case Invalid:
		return "not valid, sent anyway: " + v.Text
	}
	return ""
}
