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
	// does: our versions name that address), and setting it enables the
	// outbound handshake check. The host defaults to our IP on the way to
	// the peer; port 0, or no Listen, picks a free port.
	Listen string
	// Slow adds the timed checks, which take up to twice IdleTimeout.
	Slow bool
	// The peer's intervals, as the timed checks expect them (defaults: the
	// spec's 30s, 90s and 30s).
	PingInterval, IdleTimeout, AdvertiseInterval time.Duration
	// Agent is the user agent in our versions (default "bitclone-check").
	Agent string
	// Progress, if set, is called with each outcome as soon as it is known,
	// in the order of the report.
	Progress func(Outcome)
}

// Defaults.
const (
	DefaultTimeout           = 5 * time.Second
	DefaultPace              = 50 * time.Millisecond
	DefaultPingInterval      = 30 * time.Second
	DefaultIdleTimeout       = 90 * time.Second
	DefaultAdvertiseInterval = 30 * time.Second
	DefaultAgent             = "bitclone-check"

	// maxSettle bounds how long we watch for messages that should not come.
	maxSettle = 250 * time.Millisecond
)

func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.Timeout, DefaultTimeout)
	switch {
	case o.Pace == 0:
		o.Pace = DefaultPace
	case o.Pace < 0:
		o.Pace = 0 // asked for no gap at all
	}
	set(&o.PingInterval, DefaultPingInterval)
	set(&o.IdleTimeout, DefaultIdleTimeout)
	set(&o.AdvertiseInterval, DefaultAdvertiseInterval)
	if o.Agent == "" {
		o.Agent = DefaultAgent
	}
	return o
}

// settle is how long we watch for something that should not come (a pong
// to a ping that should have been refused, chatter before the handshake):
// a tenth of the timeout, at most maxSettle.
func (o Options) settle() time.Duration { return min(o.Timeout/10, maxSettle) }

// slack is how late a timed event may be: a fifth of its interval, at least
// 100ms for scheduling.
func slack(interval time.Duration) time.Duration {
	return max(interval/5, 100*time.Millisecond)
}
