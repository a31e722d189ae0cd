package main

import (
	"go/build"
	"strings"
	"testing"
)

const module = "github.com/bitclone/bitclone"

// The front ends and the neutral tools take a peer.Dialect (or its
// Framing); none of them may import a dialect's codec, directly or through
// a dialect's protocol package, so that a new dialect needs no change to
// them.
var dialectFree = []string{"tui", "headless", "transcript", "check", "replay", "peer/feed", "peer", "crawl", "tui/crawlview"}

// neutralCodecs are the codec packages every dialect shares.
var neutralCodecs = map[string]bool{"codec": true, "codec/bitfield": true, "codec/framebuf": true, "codec/human": true}

func TestFrontEndsImportNoDialect(t *testing.T) {
	for _, pkg := range dialectFree {
		if chain := dialectImport(t, module+"/"+pkg, map[string]bool{}); chain != "" {
			t.Errorf("%s imports a dialect: %s", pkg, chain)
		}
	}
}

// dialectImport returns the chain of imports from pkg to a dialect's codec
// ("" if there is none), following the module's own packages.
func dialectImport(t *testing.T, pkg string, seen map[string]bool) string {
	if seen[pkg] {
		return ""
	}
	seen[pkg] = true
	p, err := build.Import(pkg, ".", 0)
	if err != nil {
		t.Fatalf("%s: %v", pkg, err)
	}
	for _, imp := range p.Imports {
		rest, ours := strings.CutPrefix(imp, module+"/")
		if !ours {
			continue
		}
		if strings.HasPrefix(rest, "codec/") && !neutralCodecs[rest] {
			return rest
		}
		if chain := dialectImport(t, imp, seen); chain != "" {
			return rest + " -> " + chain
		}
	}
	return ""
}
