package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The front ends take a peer.Dialect; none of them may import a dialect's
// codec or protocol, so that a new dialect needs no change to them.
// replay and check join the list once they are split (issue 10 point 2).
var dialectFree = []string{"tui", "headless", "transcript"}

// neutralCodecs are the codec packages every dialect shares.
var neutralCodecs = map[string]bool{"codec": true, "codec/bitfield": true}

func TestFrontEndsImportNoDialect(t *testing.T) {
	const module = "github.com/bitclone/bitclone/"
	for _, pkg := range dialectFree {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			rel, ours := strings.CutPrefix(dep, module)
			if !ours {
				continue
			}
			if strings.HasPrefix(rel, "codec/") && !neutralCodecs[rel] || rel == "peer/bitclone" {
				t.Errorf("%s imports the dialect package %s", pkg, rel)
			}
		}
	}
}
