package piece

// State is one piece's place in the download, for a piece map.
type State uint8

const (
	StateMissing   State = iota // nobody is fetching it
	StateRequested              // in flight from at least one peer
	StateHave                   // verified
)

func (s State) String() string {
	switch s {
	case StateMissing:
		return "missing"
	case StateRequested:
		return "requested"
	case StateHave:
		return "have"
	}
	return "?"
}

// Progress is a copy of the download's state for the UI: counts, bytes and
// one State per piece. The three counts sum to len(States).
type Progress struct {
	Have, Requested, Missing int
	BytesDone, BytesTotal    int64
	States                   []State
}

// Progress returns the download's state now. It copies one byte per piece.
func (p *Picker) Progress() Progress {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.geo.Pieces()
	pr := Progress{BytesDone: p.bytesDone, BytesTotal: p.geo.Size(), States: make([]State, n)}
	for i := range n {
		switch {
		case p.have.Has(i):
			pr.States[i] = StateHave
			pr.Have++
		case p.nreq[i] > 0:
			pr.States[i] = StateRequested
			pr.Requested++
		default:
			pr.Missing++
		}
	}
	return pr
}
