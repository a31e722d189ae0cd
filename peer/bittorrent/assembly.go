package bt

// assembly puts one piece together from its blocks: BlockSize each, the
// last one shorter. It is the fetching connection's (under its mutex).
type assembly struct {
	index    int
	data     []byte
	received []bool
	left     int // blocks not yet received
	next0    int // the first block never requested
}

func newAssembly(index, size int) *assembly {
	n := (size + BlockSize - 1) / BlockSize
	return &assembly{index: index, data: make([]byte, size), received: make([]bool, n), left: n}
}

// more says whether a block is left to request.
func (a *assembly) more() bool { return a.next0 < len(a.received) }

// next is the next block to request: its offset and length.
func (a *assembly) next() (begin, length int) {
	begin = a.next0 * BlockSize
	a.next0++
	return begin, min(BlockSize, len(a.data)-begin)
}

// put stores a block that was requested (begin and length as asked) and
// says whether the piece is complete.
func (a *assembly) put(begin int, block []byte) bool {
	k := begin / BlockSize
	if begin%BlockSize != 0 || k >= len(a.received) || a.received[k] || begin+len(block) > len(a.data) {
		return false
	}
	copy(a.data[begin:], block)
	a.received[k] = true
	a.left--
	return a.left == 0
}
