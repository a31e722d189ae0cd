package toy

import (
	"testing"
	"time"
)

func TestRecentIsBoundedAndExpires(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	r := newRecent[string](3, time.Minute)
	for i, at := range []time.Duration{0, time.Second, 2 * time.Second} {
		if !r.add(int64(i), "v", t0.Add(at)) {
			t.Fatalf("%d was not new", i)
		}
	}
	if r.add(1, "again", t0.Add(3*time.Second)) {
		t.Error("a msgid seen was new again")
	}
	// Full: the oldest goes.
	r.add(3, "v", t0.Add(4*time.Second))
	if _, ok := r.get(0, t0.Add(4*time.Second)); ok || r.len() != 3 {
		t.Errorf("the oldest stayed in a full set (len %d)", r.len())
	}
	// Past its age, an entry goes.
	if _, ok := r.get(1, t0.Add(time.Minute+2*time.Second)); ok {
		t.Error("an entry outlived SeenFor")
	}
	if v, ok := r.get(3, t0.Add(time.Minute+2*time.Second)); !ok || v != "v" {
		t.Errorf("a young entry went: %q %v", v, ok)
	}
	// A removed id may come back, and the queue's stale key does not take
	// the new entry with it.
	r.remove(3)
	r.add(3, "new", t0.Add(time.Minute+3*time.Second))
	r.expire(t0.Add(time.Minute + 5*time.Second)) // the first 3's key is older than a minute
	if v, ok := r.get(3, t0.Add(time.Minute+5*time.Second)); !ok || v != "new" {
		t.Errorf("the re-added id went with its old key: %q %v", v, ok)
	}
	if !r.update(3, t0.Add(time.Minute+5*time.Second), func(v *string) { *v = "changed" }) {
		t.Error("update missed")
	}
	if v, _ := r.get(3, t0.Add(time.Minute+5*time.Second)); v != "changed" {
		t.Errorf("update: %q", v)
	}
}
