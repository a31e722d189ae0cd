package check

import "time"

// Options tune a run. The zero value of a field means its default.
type Options struct {
	// Timeout bounds every wait for an answer (default 5s).
	Timeout time.Duration
	// Pace is the gap between two writes on one connection (default 50ms),
	// so that a peer which handles one message per TCP read gets each of
	// our messages in a read of its own, except where a probe means to send
	// several at once. A negative Pace means no gap.
	Pace time.Duration
	// Listen, "PORT" or "HOST:PORT", is where the run listens (every run
	// does), and setting it enables the probes marked Listen. The host
	// defaults to our IP on the way to the peer; port 0, or no Listen,
	// picks a free port.
	Listen string
	// Shared, if set, is the listener the run uses instead of its own (see
	// Listener); the probes marked Listen do not run then.
	Shared *Listener
	// Slow adds the probes marked Slow.
	Slow bool
	// Progress, if set, is called with each outcome as soon as it is known,
	// in the order of the report.
	Progress func(Outcome)
}

// Defaults.
const (
	DefaultTimeout = 5 * time.Second
	DefaultPace    = 50 * time.Millisecond

	// maxSettle bounds how long we watch for messages that should not come.
	maxSettle = 250 * time.Millisecond
)

// WithDefaults fills in the defaults. Apply it once: it turns a negative
// Pace into 0, which a second call would take for the default.
func (o Options) WithDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.Pace == 0:
		o.Pace = DefaultPace
	case o.Pace < 0:
		o.Pace = 0 // asked for no gap at all
	}
	return o
}

// Settle is how long to watch for something that should not come (an
// answer to a message that should have been refused, chatter before the
// handshake): a tenth of the timeout, at most maxSettle.
func (o Options) Settle() time.Duration { return min(o.Timeout/10, maxSettle) }

// Slack is how late a timed event may be: a fifth of its interval, at
// least 100ms for scheduling.
func Slack(interval time.Duration) time.Duration {
	return max(interval/5, 100*time.Millisecond)
}

// Within is how long after a start a thing due every interval may come.
func Within(interval time.Duration) time.Duration { return interval + Slack(interval) }
