package bitclone

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/bitclone/bitclone/codec"
)

// FormatAddr writes ap as net.JoinHostPort would: 1.2.3.4:5 or [::1]:5.
// An IPv4-mapped IPv6 address is printed as IPv4; the zero AddrPort prints
// as "".
func FormatAddr(ap netip.AddrPort) string {
	return string(appendAddr(nil, ap))
}

func appendAddr(b []byte, ap netip.AddrPort) []byte {
	if a := ap.Addr(); a.Is4In6() {
		ap = netip.AddrPortFrom(a.Unmap(), ap.Port())
	}
	return ap.AppendTo(b)
}

// ParseAddr reads an IP literal and a port, accepting every form peers
// send: 1.2.3.4:80, 1.2.3.4,80 (the spec's typo), [::1]:80, and unbracketed
// IPv6 where the last colon separates the port (fe80::1:80 is fe80::1 port
// 80). Host names, zones and port 0 are refused. An IPv4-mapped IPv6
// address comes back as IPv4.
func ParseAddr(s string) (netip.AddrPort, error) {
	ap, why := parseAddrPort(s)
	if why != "" {
		return netip.AddrPort{}, errors.New("address " + codec.Quote(s) + ": " + why)
	}
	return ap, nil
}

// parseAddrPort is ParseAddr with the reason alone, so Parse can name the
// field itself.
func parseAddrPort(s string) (netip.AddrPort, string) {
	if s == "" {
		return netip.AddrPort{}, whyEmpty
	}
	// IPv6 never contains a comma, so a comma is always the separator.
	i := strings.LastIndexByte(s, ',')
	if i < 0 {
		i = strings.LastIndexByte(s, ':')
	}
	if i < 0 || (s[len(s)-1] == ']' && s[0] == '[') {
		if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
			return netip.AddrPort{}, whyNoPort
		}
		return netip.AddrPort{}, whyNotIP
	}
	host, portText := s[:i], s[i+1:]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if strings.IndexByte(host, '%') >= 0 {
		return netip.AddrPort{}, whyZone
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if _, err := netip.ParseAddr(s); err == nil {
			return netip.AddrPort{}, whyNoPort // "::1" split as ":" and "1"
		}
		return netip.AddrPort{}, whyNotIP
	}
	port, why := parsePort(portText)
	if why != "" {
		return netip.AddrPort{}, why
	}
	return netip.AddrPortFrom(addr.Unmap(), port), ""
}

func parsePort(s string) (uint16, string) {
	if s == "" {
		return 0, whyNoPort
	}
	var n uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, whyBadPort
		}
		if n = n*10 + uint32(c-'0'); n > 65535 {
			n = 65536 // stay put; keep scanning so "99999x" is a bad port
		}
	}
	switch {
	case n > 65535:
		return 0, whyPortRange
	case n == 0:
		return 0, whyPort0
	}
	return uint16(n), ""
}

// addrProblem reports why ap cannot be written so that ParseAddr reads it
// back, or "".
func addrProblem(ap netip.AddrPort) string {
	switch {
	case !ap.Addr().IsValid():
		return whyEmpty
	case ap.Addr().Zone() != "":
		return whyZone
	case ap.Port() == 0:
		return whyPort0
	}
	return ""
}
