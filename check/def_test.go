package check

import "testing"

// Probes runs each def on the wrapped env and marks the hostile group.
func TestProbesFromDefs(t *testing.T) {
	type env struct{ e *Env }
	var got []*Env
	defs := []Def[env]{
		{Name: "a", Group: "ping", Run: func(x env) Result { got = append(got, x.e); return Result{Verdict: Pass} }},
		{Name: "b", Group: "robustness", Run: func(env) Result { return Result{Verdict: Fail} }},
	}
	e := &Env{}
	ps := Probes(defs, func(e *Env) env { return env{e} }, "robustness")
	if len(ps) != 2 || ps[0].Hostile || !ps[1].Hostile || ps[1].Group != "robustness" {
		t.Fatalf("probes %+v", ps)
	}
	if r := ps[0].Run(e); r.Verdict != Pass || len(got) != 1 || got[0] != e {
		t.Errorf("a ran with %v, got %v", r, got)
	}
	if ps[1].Run(e).Verdict != Fail {
		t.Error("b's result lost")
	}
	if n := DefNames(defs); len(n) != 2 || n[0] != "a" || n[1] != "b" {
		t.Errorf("names %v", n)
	}
	if Probes(defs, func(e *Env) env { return env{e} }, "")[1].Hostile {
		t.Error("hostile with no hostile group")
	}
	timed := Probes([]Def[env]{{Name: "t", Slow: true, Listen: true}}, func(e *Env) env { return env{e} }, "")
	if !timed[0].Slow || !timed[0].Listen || timed[0].Run != nil {
		t.Errorf("a timed def: %+v", timed[0])
	}
}
