package check

import (
	"go/build"
	"strings"
	"testing"
)

const module = "github.com/bitclone/bitclone"

// The neutral halves of check and replay, and the frame feed they share,
// know no dialect: nothing they import, directly or not, is a codec of
// one (codec/bitclone, and any later codec/<dialect>).
func TestNeutralPackagesImportNoDialect(t *testing.T) {
	for _, pkg := range []string{module + "/check", module + "/replay", module + "/peer/feed"} {
		if path := dialectImport(t, pkg, map[string]bool{}); path != "" {
			t.Errorf("%s imports a dialect: %s", strings.TrimPrefix(pkg, module+"/"), path)
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
		if !strings.HasPrefix(imp, module+"/") {
			continue
		}
		rest := strings.TrimPrefix(imp, module+"/")
		if strings.HasPrefix(rest, "codec/") && rest != "codec/bitfield" {
			return rest
		}
		if chain := dialectImport(t, imp, seen); chain != "" {
			return rest + " -> " + chain
		}
	}
	return ""
}
