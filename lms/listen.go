package lms

import (
	"log/slog"
	"net"
	"sync"
	"time"
)

// clientLimit caps the connections one client address may hold open on a
// listener, so that one client dripping bytes over hundreds of connections
// cannot take them all. Connections from trusted proxies carry many clients
// and are not counted.
type clientLimit struct {
	net.Listener
	max     int
	trusted []*net.IPNet
	log     *slog.Logger

	mu     sync.Mutex
	open   map[string]int
	warned time.Time
}

func limitClients(ln net.Listener, max int, trusted []*net.IPNet, log *slog.Logger) *clientLimit {
	return &clientLimit{Listener: ln, max: max, trusted: trusted, log: log, open: map[string]int{}}
}

func (l *clientLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(c.RemoteAddr().String())
		if err != nil {
			return c, nil
		}
		if ip := net.ParseIP(host); ip != nil && l.isTrusted(ip) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[host] >= l.max {
			warn := time.Since(l.warned) > time.Minute
			if warn {
				l.warned = time.Now()
			}
			l.mu.Unlock()
			c.Close()
			if warn && l.log != nil {
				l.log.Warn("connection refused: too many open connections from one client", "addr", host, "max", l.max)
			}
			continue
		}
		l.open[host]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(host) }}, nil
	}
}

func (l *clientLimit) isTrusted(ip net.IP) bool {
	for _, n := range l.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

func (l *clientLimit) release(host string) {
	l.mu.Lock()
	if l.open[host]--; l.open[host] <= 0 {
		delete(l.open, host)
	}
	l.mu.Unlock()
}

// countedConn gives its place back once, when it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
