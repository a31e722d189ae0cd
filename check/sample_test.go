package check

import (
	"slices"
	"testing"
)

func TestSample(t *testing.T) {
	few := []int{1, 4, 9}
	if got, all := Sample(few, 3, 2); !all || !slices.Equal(got, few) {
		t.Errorf("at most fetchAll: %v %v", got, all)
	}
	claimed := make([]int, 100)
	for i := range claimed {
		claimed[i] = 2 * i
	}
	got, all := Sample(claimed, 10, 3)
	if all || !slices.Equal(got, []int{0, 48, 98, 148, 198}) {
		t.Errorf("a sample: %v %v, want the first, 3 between and the last", got, all)
	}
	if got, _ := Sample([]int{5, 6}, 1, 4); !slices.Equal(got, []int{5, 6}) {
		t.Errorf("no piece twice: %v", got)
	}
	if s := Ints([]int{0, 43, 86}); s != "0, 43, 86" {
		t.Errorf("Ints: %q", s)
	}
}
