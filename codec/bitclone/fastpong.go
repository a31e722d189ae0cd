package bitclone

// maxFastNonceDigits is the longest nonce AppendPongFor copies without
// parsing: any 19 digits fit a uint64 (the largest is 20 digits long).
const maxFastNonceDigits = 19

// AppendPongFor appends the answer to frame when frame is a ping in its
// canonical form ("ping|N", N without leading zeros, a CRLF or LF line
// end or none), and reports whether it was one. The pong echoes N's digits
// as they came, which is what Pong{Nonce: N}.AppendWire would write. Any
// other frame, a ping with leading zeros or 20 digits included, returns
// false and must go through the parser: this is only the busy
// connection's shortcut, not a second parser.
func AppendPongFor(dst, frame []byte) ([]byte, bool) {
	frame = trimLineEnd(frame)
	const prefix = CmdPing + "|"
	if len(frame) < len(prefix) || string(frame[:len(prefix)]) != prefix {
		return dst, false
	}
	digits := frame[len(prefix):]
	if digitsAt(digits) != len(digits) || !fastNonce(digits) {
		return dst, false
	}
	return appendPong(dst, digits), true
}

// AnswerPing answers the ping at the start of buffered (bytes read from a
// stream, not yet split into lines), when it is a whole line in canonical
// form: it returns the line's length on the wire n, the line without its
// ending (as Reader.Next would return it) and dst with the pong appended,
// as AppendPongFor would. Anything else, a line not yet complete included,
// gives n = 0 and dst as it was: the caller reads and parses it as usual.
func AnswerPing(buffered, dst []byte) (n int, frame, out []byte) {
	const prefix = CmdPing + "|"
	if len(buffered) < len(prefix) || string(buffered[:len(prefix)]) != prefix {
		return 0, nil, dst
	}
	end := len(prefix) + digitsAt(buffered[len(prefix):])
	digits := buffered[len(prefix):end]
	if !fastNonce(digits) {
		return 0, nil, dst
	}
	switch rest := buffered[end:]; {
	case len(rest) >= 2 && rest[0] == '\r' && rest[1] == '\n':
		n = end + 2
	case len(rest) >= 1 && rest[0] == '\n':
		n = end + 1
	default:
		return 0, nil, dst
	}
	return n, buffered[:end], appendPong(dst, digits)
}

// digitsAt is how many ASCII digits b starts with, counting no further than
// one past the longest fast nonce.
func digitsAt(b []byte) int {
	b = b[:min(len(b), maxFastNonceDigits+1)]
	for i, c := range b {
		if c < '0' || c > '9' {
			return i
		}
	}
	return len(b)
}

// fastNonce says whether digits is a nonce the shortcut copies: 1 to 19
// digits without a leading zero (what Pong.AppendWire writes).
func fastNonce(digits []byte) bool {
	return len(digits) > 0 && len(digits) <= maxFastNonceDigits && (digits[0] != '0' || len(digits) == 1)
}

// appendPong appends the pong that echoes a ping's digits.
func appendPong(dst, digits []byte) []byte {
	dst = append(dst, CmdPong+"|"...)
	dst = append(dst, digits...)
	return append(dst, crlf...)
}

// trimLineEnd drops one CRLF or LF.
func trimLineEnd(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
