package check

import (
	"slices"
	"strconv"
	"strings"
)

// Sample is which of a peer's claimed pieces a suite fetches: all of them
// when there are at most fetchAll, else the first, the last and n spread
// evenly between them. all says which; claimed is in increasing order.
func Sample(claimed []int, fetchAll, n int) (asked []int, all bool) {
	if len(claimed) <= fetchAll {
		return claimed, true
	}
	asked = append(asked, claimed[0])
	for k := 1; k <= n; k++ {
		asked = append(asked, claimed[k*(len(claimed)-1)/(n+1)])
	}
	return slices.Compact(append(asked, claimed[len(claimed)-1])), false
}

// Ints is a list of numbers for a report: "0, 43, 86".
func Ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}
