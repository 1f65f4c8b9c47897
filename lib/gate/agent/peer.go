package main

import (
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// peer is the process at the other end of a connection, pinned by a pidfd so that a pid reused after
// it exits is never mistaken for it.
type peer struct {
	pid   int
	pidfd int
	// acceptedTicks is set only when the pidfd came from pidfd_open (kernels before 6.5, without
	// SO_PEERPIDFD): the pinned process must then have started before the connection was accepted.
	acceptedTicks uint64
}

// bootTicks is now in the unit of /proc stat's starttime: clock ticks (USER_HZ, 100 on Linux) since boot.
func bootTicks() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return uint64(ts.Nano() / 10_000_000)
}

// identifyPeer reads the peer's credentials (SO_PEERCRED, fixed at connect time) and pins its process.
// It returns the reason for a refusal, or "" with the peer.
func identifyPeer(conn *net.UnixConn, acceptedTicks uint64, usePeerPidfd bool) (*peer, string) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return nil, "the connection has no peer credentials"
	}
	var cred *unix.Ucred
	var credErr, fdErr error
	pidfd := -1
	ctlErr := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if credErr == nil && usePeerPidfd {
			pidfd, fdErr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PEERPIDFD)
		}
	})
	if ctlErr != nil || credErr != nil || cred.Pid <= 0 {
		return nil, "the connection has no peer credentials"
	}
	if int(cred.Uid) != os.Getuid() {
		return nil, "the process belongs to another user"
	}
	p := &peer{pid: int(cred.Pid)}
	if !usePeerPidfd || errors.Is(fdErr, unix.ENOPROTOOPT) {
		if pidfd, fdErr = unix.PidfdOpen(p.pid, 0); fdErr == nil {
			p.acceptedTicks = acceptedTicks
		}
	}
	if fdErr != nil {
		return nil, "the process exited"
	}
	p.pidfd = pidfd
	return p, ""
}

// check re-reads the peer's terminal session, as before every request: a process that left the
// session (setsid) or the foreground since it connected is refused from then on.
func (p *peer) check(b binding) string {
	st, err := readProcStat(p.pid)
	// Polled after the read: the stat belongs to the pinned process only if that is still alive.
	if err != nil || exited(p.pidfd) {
		return "the process exited"
	}
	if p.acceptedTicks != 0 && st.startTime > p.acceptedTicks {
		return "the process exited (its pid now belongs to a newer process)"
	}
	return b.admits(st)
}

func (p *peer) close() {
	unix.Close(p.pidfd)
}
