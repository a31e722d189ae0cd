package bitclone

import "testing"

// TestCommandName: every command is named, with or without fields and line
// ending; anything else (prefixes, longer words, other case) is "?", never
// peer text.
func TestCommandName(t *testing.T) {
	for frame, want := range map[string]string{
		"version|3|1": "version", "verack|1": "verack", "getaddr": "getaddr", "addr|1|x": "addr",
		"ping|1": "ping", "pong|1\r\n": "pong", "reject|400|x": "reject", "message|1|a|b\n": "message",
		"ping": "ping", "getaddr\r": "getaddr",
		"": "?", "|ping": "?", "pin": "?", "pings|1": "?", "PING|1": "?", "piNg|1": "?", "pxng": "?",
		"adds": "?", "vers|1": "?", "verac": "?", "rejects": "?", "getaddx": "?", "massage": "?",
		"versiox|1": "?", "ve": "?", "x|ping": "?", "pong |1": "?",
	} {
		if got := commandName([]byte(frame)); got != want {
			t.Errorf("commandName(%q) = %q, want %q", frame, got, want)
		}
	}
}
