package check

// A Def is a probe as a dialect's suite writes it: its Run takes the
// dialect's own env E, which the suite makes from the neutral Env.
type Def[E any] struct {
	Name   string
	Group  string
	Spec   string // where the rule is written
	Expect string // the rule, in a few words
	Slow   bool   // a timed check (see Probe.Slow): Run is nil
	Listen bool   // needs the peer to dial us (Probe.Listen)
	Run    func(E) Result
}

// Probes are a suite's probes made of defs: each runs on wrap of the
// neutral Env, and those of group hostile are Hostile ("": none is).
func Probes[E any](defs []Def[E], wrap func(*Env) E, hostile string) []Probe {
	out := make([]Probe, len(defs))
	for i, d := range defs {
		out[i] = Probe{Name: d.Name, Group: d.Group, Spec: d.Spec, Expect: d.Expect,
			Slow: d.Slow, Listen: d.Listen, Hostile: hostile != "" && d.Group == hostile}
		if d.Run != nil {
			out[i].Run = func(e *Env) Result { return d.Run(wrap(e)) }
		}
	}
	return out
}

// DefNames lists the defs' names, in the order they run.
func DefNames[E any](defs []Def[E]) []string {
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	return names
}
