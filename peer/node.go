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
	// Validate checks a protocol line the user typed, for hints and warnings:
	// nil when it is a valid message of the dialect.
	Validate(line string) error
}
