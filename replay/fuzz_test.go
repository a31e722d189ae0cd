package replay

import (
	"bytes"
	"testing"

	"github.com/bitclone/bitclone/transcript"
)

// FuzzTranscript feeds arbitrary bytes to the transcript reader and what it
// accepts to Pick and the text view: a corrupt or hostile recording must
// give errors, never a panic.
func FuzzTranscript(f *testing.F) {
	f.Add([]byte(`{"time":"2026-11-21T22:34:56Z","conn":1,"peer":"127.0.0.1:8092","dir":"out","kind":"connected"}
{"time":"2026-11-21T22:34:56.1Z","conn":1,"peer":"127.0.0.1:8092","dir":"out","kind":"send","raw":"cGluZ3w0Mg0K","text":"ping|42"}
{"time":"2026-11-21T22:34:56.2Z","conn":1,"peer":"127.0.0.1:8092","dir":"out","kind":"recv","raw":"cG9uZ3w0Mg0K","text":"pong|42"}
{"time":"2026-11-21T22:34:57Z","conn":1,"peer":"127.0.0.1:8092","dir":"out","kind":"closed","reason":"EOF"}
`))
	f.Add([]byte(`{"conn":1,"dir":"in","kind":"send","raw":"AAEC/w=="}` + "\n" + `{"conn":2,"kind":"recv"`))
	f.Add([]byte("\x00\xff\n{}\n[]\nnull\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := transcript.Read(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Read of an in-memory file failed: %v", err)
		}
		Conns(entries)
		if s, err := Pick(entries, 0, lines); err == nil && s == nil {
			t.Fatal("Pick returned neither a session nor an error")
		}
	})
}
