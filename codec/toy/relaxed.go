package toy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/bitclone/bitclone/codec"
)

// MaxLine is the longest relaxed map parsed: a full datagram's text, with room for quotes.
const MaxLine = 2 * MaxDatagram

// ParseRelaxed reads a value in the relaxed form: {key: value, ...} maps,
// [a, b] or (a, b) arrays, 'quoted' or "quoted" text, integers, nil, true
// and false, and bare text otherwise (up to the next , } ] or ), and in a
// key up to the :). The whole of s must be one value.
func ParseRelaxed(s string) (any, error) {
	if len(s) > MaxLine {
		return nil, fmt.Errorf("%d bytes: at most %d", len(s), MaxLine)
	}
	p := &relaxedParser{s: s}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf("unexpected %s after the value", codec.Quote(p.s[p.i:p.i+1]))
	}
	return v, nil
}

type relaxedParser struct {
	s string
	i int
}

func (p *relaxedParser) errorf(format string, a ...any) error {
	return fmt.Errorf("at %d: %s", p.i+1, fmt.Sprintf(format, a...))
}

func (p *relaxedParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *relaxedParser) value(depth int) (any, error) {
	if depth > MaxDepth {
		return nil, p.errorf("nested more than %d deep", MaxDepth)
	}
	p.space()
	if p.i >= len(p.s) {
		return nil, p.errorf("a value is missing")
	}
	switch c := p.s[p.i]; c {
	case '{':
		p.i++
		m := Map{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == '}' && len(m) == 0 {
				p.i++
				return m, nil
			}
			k, err := p.scalar(true)
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				key = fmt.Sprint(k) // a bare 7 as a key is still a key
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, p.errorf("want : after the key %s", codec.Quote(key))
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if len(m) == MaxMapKeys {
				return nil, p.errorf("more than %d keys", MaxMapKeys)
			}
			m = append(m, Field{Key: key, Value: v})
			if done, err := p.next('}'); err != nil || done {
				return m, err
			}
		}
	case '[', '(':
		end := byte(']')
		if c == '(' {
			end = ')'
		}
		p.i++
		out := []any{}
		for {
			p.space()
			if p.i < len(p.s) && p.s[p.i] == end && len(out) == 0 {
				p.i++
				return out, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if len(out) == MaxArray {
				return nil, p.errorf("more than %d elements", MaxArray)
			}
			out = append(out, v)
			if done, err := p.next(end); err != nil || done {
				return out, err
			}
		}
	}
	return p.scalar(false)
}

// next reads a comma (false) or the closing end (true).
func (p *relaxedParser) next(end byte) (bool, error) {
	p.space()
	if p.i >= len(p.s) {
		return false, p.errorf("want , or %c", end)
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return false, nil
	case end:
		p.i++
		return true, nil
	}
	return false, p.errorf("want , or %c, got %s", end, codec.Quote(p.s[p.i:p.i+1]))
}

// scalar reads quoted or bare text; bare integers, nil, true and false
// are themselves.
func (p *relaxedParser) scalar(key bool) (any, error) {
	p.space()
	if p.i < len(p.s) && (p.s[p.i] == '"' || p.s[p.i] == '\'') {
		return p.quoted()
	}
	stops := ",}])"
	if key {
		stops = ":,}"
	}
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(stops, rune(p.s[p.i])) && p.s[p.i] != '{' && p.s[p.i] != '[' {
		p.i++
	}
	word := strings.TrimRight(p.s[start:p.i], " \t")
	if word == "" {
		return nil, p.errorf("a value is missing")
	}
	if key {
		return word, nil
	}
	return bareValue(word), nil
}

func bareValue(word string) any {
	if n, err := strconv.ParseInt(word, 10, 64); err == nil {
		return n
	}
	switch word {
	case "nil", "null", "None":
		return nil
	case "true", "True":
		return true
	case "false", "False":
		return false
	}
	return word
}

// quoted reads 'text' or "text"; a backslash escapes the next byte, and
// \n, \t, \r and \xNN are what they say.
func (p *relaxedParser) quoted() (string, error) {
	q := p.s[p.i]
	p.i++
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == q:
			return sb.String(), nil
		case c == '\\' && p.i < len(p.s):
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				sb.WriteByte('\n')
			case 't':
				sb.WriteByte('\t')
			case 'r':
				sb.WriteByte('\r')
			case 'x':
				if p.i+2 > len(p.s) {
					return "", p.errorf("want two hex digits after \\x")
				}
				b, err := strconv.ParseUint(p.s[p.i:p.i+2], 16, 8)
				if err != nil {
					return "", p.errorf("want two hex digits after \\x")
				}
				sb.WriteByte(byte(b))
				p.i += 2
			default:
				sb.WriteByte(e)
			}
		default:
			sb.WriteByte(c)
		}
	}
	return "", errors.New("a quote is not closed")
}
