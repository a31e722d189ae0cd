package bitclone

import (
	"fmt"
	"time"

	"github.com/bitclone/bitclone/check"
)

// Options tune a run: the neutral ones, and what the BitClone probes need.
// The zero value of a field means its default.
type Options struct {
	check.Options
	// The peer's intervals, as the timed checks (Options.Slow) expect them
	// (defaults: the spec's 30s, 90s and 30s).
	PingInterval, IdleTimeout, AdvertiseInterval time.Duration
	// Agent is the user agent in our versions (default "bitclone-check").
	Agent string
}

// Defaults.
const (
	DefaultPingInterval      = 30 * time.Second
	DefaultIdleTimeout       = 90 * time.Second
	DefaultAdvertiseInterval = 30 * time.Second
	DefaultAgent             = "bitclone-check"
)

// withDefaults fills in the BitClone defaults; the neutral ones are the
// run's (check.Env.Options), filled in once.
func (o Options) withDefaults() Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.PingInterval, DefaultPingInterval)
	set(&o.IdleTimeout, DefaultIdleTimeout)
	set(&o.AdvertiseInterval, DefaultAdvertiseInterval)
	if o.Agent == "" {
		o.Agent = DefaultAgent
	}
	return o
}

// Settings is what the report's header shows of o.
func Settings(o Options) string {
	n, o := o.Options.WithDefaults(), o.withDefaults()
	s := fmt.Sprintf("timeout %s", n.Timeout)
	if o.Slow {
		s += fmt.Sprintf("; ping %s, idle %s, advertise %s", o.PingInterval, o.IdleTimeout, o.AdvertiseInterval)
	}
	return s
}
