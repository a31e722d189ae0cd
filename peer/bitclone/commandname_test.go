package bitclone

import (
	"bytes"
	"math/rand/v2"
	"testing"

	wire "github.com/bitclone/bitclone/codec/bitclone"
)

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

// TestCommandNameAgreesWithItsDefinition: the shortcut (look for '|' only
// where a command can end) names every frame as the definition does: the
// text before the first '|' (line ending dropped) if it is a command, else
// "?". Frames are made of command names, '|' and a few letters, so that
// '|' falls at every position around 4, 6 and 7.
func TestCommandNameAgreesWithItsDefinition(t *testing.T) {
	definition := func(frame []byte) string {
		name, _, _ := bytes.Cut(wire.TrimEOL(frame), []byte("|"))
		for _, c := range []string{wire.CmdVersion, wire.CmdVerack, wire.CmdGetAddr, wire.CmdAddr,
			wire.CmdPing, wire.CmdPong, wire.CmdReject, wire.CmdMessage} {
			if string(name) == c {
				return c
			}
		}
		return "?"
	}
	parts := []string{"ping", "pong", "addr", "verack", "reject", "version", "getaddr", "message",
		"|", "||", "p", "ve", "x|", "\r\n", "\n", "\r", "1", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		var frame []byte
		for range 1 + rng.IntN(4) {
			frame = append(frame, parts[rng.IntN(len(parts))]...)
		}
		if got, want := commandName(frame), definition(frame); got != want {
			t.Fatalf("commandName(%q) = %q, want %q", frame, got, want)
		}
	}
}
