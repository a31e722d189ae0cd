package check

import (
	"context"
	"errors"
	"time"
)

// Run checks the peer at target ("host:port") with the suite over nw (TCP{}
// for the real network) and returns the report. It returns an error
// without a report when the peer cannot be reached at all, and the report
// so far with ctx's error when ctx ends.
func Run(ctx context.Context, target string, s *Suite, o Options, nw Network) (*Report, error) {
	if err := s.valid(); err != nil {
		return nil, err
	}
	e, err := NewEnv(ctx, target, s, o, nw)
	if err != nil {
		return nil, err
	}
	defer e.Close()

	probes := s.Probes
	r := &run{Env: e, report: &Report{Target: target, Us: e.us, UsNote: s.UsNote, Handshake: s.Handshake, Started: time.Now()}}
	for i := 0; i < len(probes) && ctx.Err() == nil; {
		if probes[i].Slow && e.o.Slow {
			j := i
			for j < len(probes) && probes[j].Slow {
				j++
			}
			r.together(probes[i:j])
			i = j
			continue
		}
		r.one(probes[i])
		i++
	}
	r.report.Duration = time.Since(r.report.Started)
	return r.report, ctx.Err()
}

// run is one run of the suite in progress.
type run struct {
	*Env
	report *Report
}

func (r *run) outcome(p Probe) Outcome {
	return Outcome{Name: p.Name, Group: p.Group, Spec: p.Spec, Expect: p.Expect, Hostile: p.Hostile, At: time.Since(r.report.Started)}
}

// notRun reports whether p is not to run, and then fills o with why.
func (r *run) notRun(p Probe, o *Outcome) bool {
	switch {
	case p.Slow && !r.o.Slow:
		o.Verdict, o.Detail = Skip, "not run: a timed check (--slow)"
	case p.Listen && r.o.Shared != nil:
		o.Verdict, o.Detail = Skip, "not run: on a shared listener the peer's first dial to us cannot be told apart"
	case p.Listen && r.o.Listen == "":
		o.Verdict, o.Detail = Skip, "not run: the peer must dial us (--listen PORT)"
	case r.report.DiedIn != "":
		o.Verdict, o.DownSince = Skip, r.report.DiedIn
		o.Detail = "skipped: the peer is down since " + r.report.DiedIn
		if r.report.Refused {
			o.Detail = "skipped: the peer refuses us since " + r.report.DiedIn
		}
	case r.report.NoHandshake != "":
		// Every check needs the peer's greeting: the cause is stated once,
		// where the handshake failed, not once per check.
		o.Verdict, o.Blocked = Skip, r.report.NoHandshake
		o.Detail = "not run: no " + r.report.handshakeWord() + " (see " + r.report.NoHandshake + ")"
	default:
		return false
	}
	return true
}

func (r *run) one(p Probe) {
	o := r.outcome(p)
	if !r.notRun(p, &o) {
		start := time.Now()
		o.Result = p.Run(r.Env)
		o.Elapsed = time.Since(start)
		r.afterwards(p.Name, []*Outcome{&o})
	}
	r.add(o)
}

// together runs the timed checks, which share one connection (see
// Suite.Timed).
func (r *run) together(ps []Probe) {
	outs := make([]Outcome, len(ps))
	var ran []*Outcome
	for i, p := range ps {
		outs[i] = r.outcome(p)
		if !r.notRun(p, &outs[i]) {
			ran = append(ran, &outs[i])
		}
	}
	if len(ran) > 0 {
		start := time.Now()
		results := r.suite.Timed(r.Env)
		for _, o := range ran {
			o.Result, o.Elapsed = results[o.Name], time.Since(start)
		}
		r.afterwards("the "+ps[0].Group+" checks", ran)
	}
	for _, o := range outs {
		r.add(o)
	}
}

// afterwards checks that the peer is still up after the probes just run
// (named by during, for the report). If it is not, they fail and say so. If
// it is, but a handshake failed, the run stops there: every check needs one.
func (r *run) afterwards(during string, outs []*Outcome) {
	if r.ctx.Err() != nil {
		return
	}
	noHandshake := r.handshakeFailed() != nil
	if noHandshake && !r.greetedOnce.Load() {
		// The peer has never greeted us in full: a liveness check would
		// only wait for the same silence again, or see the same close.
		r.report.NoHandshake = during
		return
	}
	err := r.alive()
	if err == nil {
		for _, o := range outs {
			if o.Hostile && o.Verdict != Skip { // a check not run upset nobody
				o.Detail += "; the peer still accepts connections"
			}
		}
		if noHandshake {
			r.report.NoHandshake = during
		}
		return
	}
	r.report.DiedIn, r.report.DiedAt, r.report.Down = during, outs[0].At, err.Error()
	r.report.Refused = errors.As(err, new(*refusedError))
	for _, o := range outs {
		switch {
		case !r.report.Refused:
			o.Verdict = Fail
			o.Detail += "; then the peer went down: " + err.Error()
		case o.Hostile:
			// Dropping and banning a peer that misbehaves is allowed.
			o.Detail += "; then it refused new connections from us (a ban)"
		default:
			o.Verdict = max(o.Verdict, Warn)
			o.Detail += "; then it refused new connections from us, after nothing that deserves a ban"
		}
	}
}

func (r *run) add(o Outcome) {
	r.report.Outcomes = append(r.report.Outcomes, o)
	if r.o.Progress != nil {
		r.o.Progress(o)
	}
}
