package toy

import "time"

// recent is a bounded, expiring map from msgid to V: the seen-set of
// searches, their reverse paths, the requests awaiting answers. Entries go
// in in time order, so the oldest are at the front of the queue and leave
// first, by age or when the map is full. Not safe for concurrent use (the
// node's mutex guards it).
type recent[V any] struct {
	max   int
	ttl   time.Duration
	m     map[int64]recentEntry[V]
	queue []recentKey
}

type recentEntry[V any] struct {
	v  V
	at time.Time
}

type recentKey struct {
	id int64
	at time.Time
}

func newRecent[V any](max int, ttl time.Duration) *recent[V] {
	return &recent[V]{max: max, ttl: ttl, m: make(map[int64]recentEntry[V])}
}

// add remembers id with v unless it is there already; it reports whether
// id is new.
func (r *recent[V]) add(id int64, v V, now time.Time) bool {
	r.expire(now)
	if _, ok := r.m[id]; ok {
		return false
	}
	for len(r.m) >= r.max && len(r.queue) > 0 {
		r.pop()
	}
	r.m[id] = recentEntry[V]{v, now}
	r.queue = append(r.queue, recentKey{id, now})
	return true
}

func (r *recent[V]) get(id int64, now time.Time) (V, bool) {
	r.expire(now)
	e, ok := r.m[id]
	return e.v, ok
}

// update changes id's value in place (its age stays); it reports whether
// id is there.
func (r *recent[V]) update(id int64, now time.Time, f func(*V)) bool {
	r.expire(now)
	e, ok := r.m[id]
	if ok {
		f(&e.v)
		r.m[id] = e
	}
	return ok
}

func (r *recent[V]) remove(id int64) { delete(r.m, id) }

func (r *recent[V]) len() int { return len(r.m) }

// expire drops the entries older than ttl.
func (r *recent[V]) expire(now time.Time) {
	for len(r.queue) > 0 && now.Sub(r.queue[0].at) > r.ttl {
		r.pop()
	}
	if len(r.queue) > 2*r.max { // removed ids left their keys behind
		r.compact()
	}
}

// pop drops the front of the queue, and its entry unless it was removed
// and added again since.
func (r *recent[V]) pop() {
	k := r.queue[0]
	r.queue = r.queue[1:]
	if e, ok := r.m[k.id]; ok && e.at.Equal(k.at) {
		delete(r.m, k.id)
	}
}

func (r *recent[V]) compact() {
	q := r.queue[:0]
	for _, k := range r.queue {
		if e, ok := r.m[k.id]; ok && e.at.Equal(k.at) {
			q = append(q, k)
		}
	}
	r.queue = append([]recentKey(nil), q...)
}
