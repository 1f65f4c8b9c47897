package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	maxConnections = 8
	idleTimeout    = 60 * time.Second
	socketCheck    = time.Second
	drainTimeout   = time.Second
	acceptBackoff  = 50 * time.Millisecond
)

type server struct {
	cfg       config
	keys      *keyring
	leader    int // pidfd of the session leader
	locked    bool
	listener  *net.UnixListener
	socketIno uint64
	socketDev uint64
	expiresAt time.Time
	stopping  sync.Once
	slots     chan struct{}
}

// ensurePrivateDir makes the socket's directory if needed and refuses one that is not ours alone:
// a directory of another user, a symlink, or one that group or others may enter.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return startErr("socket-dir-unsafe", "cannot create the socket directory %s: %v", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return startErr("socket-dir-unsafe", "cannot inspect the socket directory %s: %v", dir, err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return startErr("socket-dir-unsafe", "the socket directory %s is not a directory (a symlink?)", dir)
	case int(st.Uid) != os.Getuid():
		return startErr("socket-dir-unsafe", "the socket directory %s belongs to uid %d, not to you; remove it", dir, st.Uid)
	case st.Mode&0o777 != 0o700:
		return startErr("socket-dir-unsafe", "the socket directory %s has mode %o; it must be 0700", dir, st.Mode&0o777)
	}
	return nil
}

// listen binds beside the socket path and renames over it, so that a client sees the old agent or the
// new one, never no socket; an agent whose socket was replaced or removed exits (watchSocket).
func listen(cfg config, keys *keyring, leader int, locked bool) (*server, error) {
	if err := ensurePrivateDir(filepath.Dir(cfg.socket)); err != nil {
		return nil, err
	}
	staged := fmt.Sprintf("%s.%d.new", cfg.socket, os.Getpid())
	_ = os.Remove(staged)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: staged, Net: "unix"})
	if err != nil {
		return nil, startErr("socket-failed", "cannot listen on %s: %v", staged, err)
	}
	l.SetUnlinkOnClose(false)
	var st unix.Stat_t
	if err := unix.Lstat(staged, &st); err != nil {
		l.Close()
		return nil, startErr("socket-failed", "cannot inspect %s: %v", staged, err)
	}
	if err := os.Rename(staged, cfg.socket); err != nil {
		l.Close()
		_ = os.Remove(staged)
		return nil, startErr("socket-failed", "cannot move the socket to %s: %v", cfg.socket, err)
	}
	return &server{
		cfg:       cfg,
		keys:      keys,
		leader:    leader,
		locked:    locked,
		listener:  l,
		socketIno: st.Ino,
		socketDev: st.Dev,
		expiresAt: time.Now().Add(cfg.ttl),
		slots:     make(chan struct{}, maxConnections),
	}, nil
}

// ownsSocket is true while the socket path is still the socket this agent bound.
func (s *server) ownsSocket() bool {
	var st unix.Stat_t
	return unix.Lstat(s.cfg.socket, &st) == nil && st.Ino == s.socketIno && st.Dev == s.socketDev
}

// shutdown removes the socket if it is still ours, wipes what it can, and exits at once (the exit closes
// the listener and every connection).
func (s *server) shutdown() {
	s.stopping.Do(func() {
		if s.ownsSocket() {
			_ = os.Remove(s.cfg.socket)
		}
		s.keys.wipe()
		os.Exit(0)
	})
}

// watch ends the agent when its time is up, the session leader exits, its socket is replaced or
// removed, or it is told to (SIGTERM, SIGINT, SIGHUP).
func (s *server) watch() {
	time.AfterFunc(time.Until(s.expiresAt), s.shutdown)
	go func() {
		fds := []unix.PollFd{{Fd: int32(s.leader), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		s.shutdown()
	}()
	go func() {
		for range time.Tick(socketCheck) {
			if !s.ownsSocket() {
				s.shutdown()
			}
		}
	}()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-signals
		s.shutdown()
	}()
}

func (s *server) serve() {
	s.watch()
	for {
		conn, err := s.listener.AcceptUnix()
		if err != nil {
			time.Sleep(acceptBackoff) // e.g. EMFILE: do not spin
			continue
		}
		accepted := bootTicks()
		select {
		case s.slots <- struct{}{}:
			go s.handle(conn, accepted)
		default:
			conn.Close()
		}
	}
}

func (s *server) handle(conn *net.UnixConn, accepted uint64) {
	defer func() { <-s.slots }()
	defer conn.Close()
	out := json.NewEncoder(conn)
	refuse := func(why string) {
		// Half-close, then drain what the peer already sent: closing with unread input would reset the
		// connection, and the peer could lose the refusal before reading it.
		_ = out.Encode(failed("refused", why))
		_ = conn.CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(drainTimeout))
		_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxRequest))
	}
	p, why := identifyPeer(conn, accepted, true)
	if why != "" {
		refuse(why)
		return
	}
	defer p.close()
	if why := p.check(s.cfg.binding); why != "" {
		refuse(why)
		return
	}
	in := bufio.NewReaderSize(conn, maxRequest)
	for {
		_ = conn.SetReadDeadline(time.Now().Add(idleTimeout))
		line, err := in.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			_ = out.Encode(failed("bad-request", fmt.Sprintf("a request is at most %d bytes", maxRequest)))
			return
		}
		if err != nil {
			return
		}
		// Every request re-checks the peer and the leader: the binding must hold now, not at connect.
		why := p.check(s.cfg.binding)
		if why == "" && exited(s.leader) {
			why = "the terminal session has ended"
		}
		if why != "" {
			refuse(why)
			return
		}
		reply, after := s.dispatch(line)
		if err := out.Encode(reply); err != nil {
			return
		}
		if after != nil {
			after()
		}
	}
}
