// Package modguard checks the line between the product and this module:
// anacrolix/torrent is the other side of interop tests only and must never
// enter the product's go.mod (issue 11: keep that library out of the product).
package modguard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// productGoMod is the product's go.mod, the parent of this module.
var productGoMod = filepath.Join("..", "..", "go.mod")

func TestProductModuleHasNoAnacrolix(t *testing.T) {
	for _, name := range []string{productGoMod, filepath.Join("..", "..", "go.sum")} {
		data, err := os.ReadFile(name)
		if err != nil {
			if os.IsNotExist(err) && strings.HasSuffix(name, "go.sum") {
				continue
			}
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "github.com/anacrolix/") {
				t.Errorf("%s:%d names anacrolix, which belongs in interop/go.mod only: %s", name, i+1, line)
			}
		}
	}
}
