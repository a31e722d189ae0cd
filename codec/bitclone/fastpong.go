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
	if len(frame) <= len(prefix) || string(frame[:len(prefix)]) != prefix {
		return dst, false
	}
	digits := frame[len(prefix):]
	if len(digits) > maxFastNonceDigits || (digits[0] == '0' && len(digits) > 1) {
		return dst, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return dst, false
		}
	}
	dst = append(dst, CmdPong+"|"...)
	dst = append(dst, digits...)
	return append(dst, crlf...), true
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
