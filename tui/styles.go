package tui

import (
	"image/color"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/bitclone/bitclone/peer"
)

// styles holds every lipgloss style of the TUI. Colours come in light and
// dark variants; the program asks the terminal for its background at start.
// Meaning never rests on colour alone (NO_COLOR strips it; projectors wash
// it out): the focused pane has a marker, selected peers a dot, the hint
// a ✓ or ✗, and bold and reverse video survive NO_COLOR.
type styles struct {
	status, statusWarn  paint // the status bar (reverse video)
	title, titleFocused paint // pane title lines
	header              paint // table column titles
	cursor              paint // the cursor row of the focused pane
	mark                paint // the selection dot
	faint               paint // timestamps, secondary text

	// Log lines by command and kind.
	handshake, chatter, gossip, reject, message, unknown paint
	conn, warn, err, info                                paint

	// Address book status.
	live, stale, banned paint

	// Command line and hint.
	prompt, ok, bad paint

	// The piece map's cells, by peer.PieceState.
	pieces [pieceStates]paint

	help help.Styles
}

// paint is a lipgloss style compiled to the escape sequences around its
// text: lipgloss works them out once, and drawing a piece is then two
// concatenations instead of a Render (which measures and re-parses the
// text: the bulk of a frame's cost). Only for colours and attributes, not
// padding, widths or borders.
type paint struct{ pre, post string }

func compile(s lipgloss.Style) paint {
	pre, post, ok := strings.Cut(s.Render("X"), "X")
	if !ok {
		return paint{}
	}
	return paint{pre, post}
}

// Render wraps s, which must be printable and hold no line break.
func (p *paint) Render(s string) string {
	if p.pre == "" || s == "" {
		return s
	}
	return p.pre + s + p.post
}

// palette is the colours for one kind of background. Every colour that
// draws text, the dim gray included, keeps a contrast ratio of at least
// minContrast against the backgrounds terminals commonly use (black, white,
// Solarized, Nord...: tested), so secondary text and the footer stay
// readable on a washed-out projector.
type palette struct {
	text, dim                                      color.Color
	blue, green, red, purple, yellow, cyan, accent color.Color
}

// minContrast is WCAG's AA level for normal text.
const minContrast = 4.5

func newPalette(isDark bool) palette {
	c := lipgloss.LightDark(isDark)
	return palette{
		text:   c(lipgloss.Color("#1f2328"), lipgloss.Color("#e6edf3")),
		dim:    c(lipgloss.Color("#57606a"), lipgloss.Color("#9da5ae")),
		blue:   c(lipgloss.Color("#0550ae"), lipgloss.Color("#79c0ff")),
		green:  c(lipgloss.Color("#116329"), lipgloss.Color("#56d364")),
		red:    c(lipgloss.Color("#b42318"), lipgloss.Color("#ff7b72")),
		purple: c(lipgloss.Color("#6639ba"), lipgloss.Color("#d2a8ff")),
		yellow: c(lipgloss.Color("#7d4e00"), lipgloss.Color("#e3b341")),
		cyan:   c(lipgloss.Color("#0f6e7a"), lipgloss.Color("#39c5cf")),
		accent: c(lipgloss.Color("#0a58c2"), lipgloss.Color("#58a6ff")),
	}
}

func newStyles(isDark bool) styles {
	p := newPalette(isDark)
	gray, blue, green, red, purple, yellow, cyan, accent := p.dim, p.blue, p.green, p.red, p.purple, p.yellow, p.cyan, p.accent

	s := lipgloss.NewStyle
	return styles{
		status:       compile(s().Reverse(true)),
		statusWarn:   compile(s().Reverse(true).Bold(true).Foreground(red)),
		title:        compile(s().Foreground(gray)),
		titleFocused: compile(s().Bold(true).Foreground(accent)),
		header:       compile(s().Bold(true)),
		cursor:       compile(s().Reverse(true)),
		mark:         compile(s().Bold(true).Foreground(accent)),
		faint:        compile(s().Foreground(gray)),

		handshake: compile(s().Foreground(blue)),
		chatter:   compile(s().Foreground(gray)),
		gossip:    compile(s().Foreground(green)),
		reject:    compile(s().Bold(true).Foreground(red)),
		message:   compile(s().Bold(true).Foreground(purple)),
		unknown:   compile(s().Foreground(yellow)),
		conn:      compile(s().Foreground(cyan)),
		warn:      compile(s().Bold(true).Foreground(yellow)),
		err:       compile(s().Bold(true).Foreground(red)),
		info:      compile(s()),

		live:   compile(s().Foreground(green)),
		stale:  compile(s().Foreground(gray)),
		banned: compile(s().Bold(true).Foreground(red)),

		prompt: compile(s().Bold(true).Foreground(accent)),
		ok:     compile(s().Foreground(green)),
		bad:    compile(s().Bold(true).Foreground(red)),

		help: helpStyles(p),

		pieces: piecePaints(p),
	}
}

// pieceStates is how many peer.PieceState values there are.
const pieceStates = int(peer.PieceHave) + 1

// pieceColours are the piece map's colours by state: held green, under
// way yellow, missing the dim gray. The glyphs tell them apart without
// colour (pieceGlyphs).
func pieceColours(p palette) [pieceStates]color.Color {
	var c [pieceStates]color.Color
	c[peer.PieceMissing], c[peer.PieceRequested], c[peer.PieceHave] = p.dim, p.yellow, p.green
	return c
}

func piecePaints(p palette) [pieceStates]paint {
	var out [pieceStates]paint
	for i, c := range pieceColours(p) {
		out[i] = compile(lipgloss.NewStyle().Foreground(c))
	}
	return out
}

// helpStyles draw the footer and the key lists: keys in bold text colour,
// their descriptions and the separators dim (the bubbles defaults are too
// faint to read on a projector).
func helpStyles(p palette) help.Styles {
	key := lipgloss.NewStyle().Bold(true).Foreground(p.text)
	dim := lipgloss.NewStyle().Foreground(p.dim)
	return help.Styles{
		ShortKey: key, ShortDesc: dim, ShortSeparator: dim, Ellipsis: dim,
		FullKey: key, FullDesc: dim, FullSeparator: dim,
	}
}

// forClass is the colour of a message line by its command's class.
func (s *styles) forClass(c peer.Class) *paint {
	switch c {
	case peer.ClassHandshake:
		return &s.handshake
	case peer.ClassKeepalive:
		return &s.chatter
	case peer.ClassData:
		return &s.gossip
	case peer.ClassError:
		return &s.reject
	case peer.ClassMessage:
		return &s.message
	}
	return &s.unknown // not a command of the dialect: the peer deviates
}

// forKind is the colour of a log line that is not a message.
func (s *styles) forKind(k peer.Kind) *paint {
	switch k {
	case peer.KindConnected, peer.KindEstablished, peer.KindClosed, peer.KindLearned:
		return &s.conn
	case peer.KindWarn:
		return &s.warn
	case peer.KindError:
		return &s.err
	}
	return &s.info
}
