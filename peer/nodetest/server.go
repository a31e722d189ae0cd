package nodetest

import (
	"net"
	"sync"
)

// Server is the accept loop of a fake peer: each connection handled on a
// goroutine of its own (or, with OneAtATime, one after the other, as a
// peer that serves a single client does), and every one closed and waited
// for by Close.
type Server struct {
	OneAtATime bool

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// Serve accepts connections on ln in the background and hands each to
// handle, closing it when handle returns.
func (s *Server) Serve(ln net.Listener, handle func(net.Conn)) {
	s.mu.Lock()
	s.ln, s.conns = ln, map[net.Conn]bool{}
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			serve := func() {
				defer s.wg.Done()
				handle(c)
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}
			if s.OneAtATime {
				serve()
				continue
			}
			go serve()
		}
	}()
}

// Close stops the listener and every connection, and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	if s.ln != nil {
		s.ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
