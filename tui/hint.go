package tui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/peer"
)

// hintKind says how a hint is drawn.
type hintKind uint8

const (
	hintInfo    hintKind = iota // plain guidance
	hintOK                      // ✓ the line is valid by the spec
	hintLenient                 // ~ bitclone accepts the line, the spec does not
	hintBad                     // ✗ something is wrong
)

// hint is the line under the command line: what the typed text is and
// where it will go, recomputed as the user types.
type hint struct {
	kind hintKind
	text string
}

func (m *Model) refreshHint() { m.hint = m.hintFor(m.cmd.value()) }

func (m *Model) hintFor(text string) hint {
	if m.cmd.mode == modeFilter {
		return hint{hintInfo, "filter: peer:ADDR cmd:NAME or words · enter keeps it · esc restores the old one"}
	}
	if c := &m.cmd.comp; c.cycling(text) {
		return hint{hintInfo, "tab: " + strconv.Itoa(c.i+1) + " of " + strconv.Itoa(len(c.cands)) + " completions"}
	}
	if strings.TrimSpace(text) == "" {
		if m.focus != paneCmd {
			return hint{hintInfo, m.opts.Dialect.Typed() + " go " + m.describeTargets(m.conns.targets())}
		}
		example := ""
		if m.opts.Dialect.Hint != "" {
			example = m.opts.Dialect.Hint + ", "
		}
		return hint{hintInfo, m.opts.Dialect.Typed() + " go " + m.describeTargets(m.conns.targets()) +
			" · type " + example + "@HOST:PORT LINE or :help · tab completes · esc: panes"}
	}
	c, err := m.opts.Dialect.Parse(text)
	if err == nil {
		err = m.opts.Dialect.Prepare(&c)
	}
	if err != nil {
		if strings.HasPrefix(strings.TrimSpace(text), ":") {
			err = errors.New(err.Error() + " · tab completes")
		}
		return hint{hintBad, err.Error()}
	}
	switch c.Op {
	case peer.OpSend:
		targets := c.Targets
		if len(targets) == 0 {
			targets = m.conns.targets()
		}
		to := m.describeTargets(targets)
		if len(c.Targets) == 1 && !m.connected(c.Targets[0]) {
			return hint{hintBad, "no connection to " + safe(c.Targets[0])}
		}
		return sendHint(m.node.Validate(c.Line), c, m.opts.Dialect.Framing.Command(c.Frame), to)
	case peer.OpConnect:
		return hint{hintInfo, "enter dials " + safe(c.Targets[0])}
	case peer.OpDrop:
		if !m.connected(c.Targets[0]) {
			return hint{hintBad, "no connection to " + safe(c.Targets[0])}
		}
		return hint{hintInfo, "enter closes the connection to " + safe(c.Targets[0])}
	case peer.OpPeers:
		return hint{hintInfo, "enter shows the connections"}
	case peer.OpAddrs:
		return hint{hintInfo, "enter shows the address book"}
	case peer.OpSave:
		return hint{hintInfo, "enter writes the peers file now"}
	case peer.OpQuit:
		return hint{hintInfo, "enter saves the peers file and quits"}
	case peer.OpHelp:
		return hint{hintInfo, "enter shows every key and command"}
	case peer.OpDialect:
		cc, _ := m.opts.Dialect.Colon(c.Name)
		return hint{hintInfo, "enter: " + safe(cc.Help)}
	}
	return hint{}
}

// sendHint says what the spec makes of a raw line, in its words, and where
// Enter sends it; spaces at the ends, sent as typed, are pointed out first.
func sendHint(v peer.Verdict, c peer.Command, command, to string) hint {
	spaces := ""
	if w := c.Spaces(); w != "" {
		spaces = w + " · "
	}
	switch v.Level {
	case peer.Lenient:
		return hint{hintLenient, spaces + "off the spec, bitclone accepts it: " + safe(v.Text) + " · enter sends it " + to}
	case peer.Invalid:
		return hint{hintBad, spaces + safe(v.Text) + " · enter sends it anyway " + to}
	}
	return hint{hintOK, spaces + "valid " + safe(command) + " · enter sends it " + to}
}

// connected reports whether addr names a connection (remote or listening).
func (m *Model) connected(addr string) bool {
	for _, c := range m.conns.conns {
		if c.Remote == addr || c.Listen == addr {
			return true
		}
	}
	return false
}

// describeTargets says where a raw line goes.
func (m *Model) describeTargets(targets []string) string {
	if len(targets) == 0 {
		n := m.snap.Inbound + m.snap.Outbound
		switch n {
		case 0:
			return "nowhere: no established peer yet"
		case 1:
			return "to the 1 established peer"
		}
		return "to all " + strconv.Itoa(n) + " established peers"
	}
	s := "to " + safe(strings.Join(targets, ", "))
	if len(targets) > 1 {
		s = "to " + strconv.Itoa(len(targets)) + " peers: " + safe(strings.Join(targets, ", "))
	}
	return s
}
