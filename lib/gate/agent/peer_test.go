package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A child run of this test binary that connects to AGENT_TEST_DIAL and waits to be killed: a peer
// process other than the test itself.
func TestMain(m *testing.M) {
	if path := os.Getenv("AGENT_TEST_DIAL"); path != "" {
		conn, err := net.Dial("unix", path)
		if err != nil {
			os.Exit(3)
		}
		defer conn.Close()
		select {}
	}
	os.Exit(m.Run())
}

// acceptChild starts a child peer and returns the server side of its connection.
func acceptChild(t *testing.T) (*exec.Cmd, *net.UnixConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = []string{"AGENT_TEST_DIAL=" + path}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	conn, err := l.AcceptUnix()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return child, conn
}

func TestPeerIsPinnedAndItsExitNoticed(t *testing.T) {
	for _, usePeerPidfd := range []bool{true, false} {
		child, conn := acceptChild(t)
		p, why := identifyPeer(conn, bootTicks(), usePeerPidfd)
		if why != "" {
			t.Fatalf("usePeerPidfd=%v: refused: %s", usePeerPidfd, why)
		}
		if p.pid != child.Process.Pid {
			t.Fatalf("peer pid %d, child pid %d", p.pid, child.Process.Pid)
		}
		// The start-time guard applies only to a pidfd opened after the fact (kernels before 6.5).
		if (p.acceptedTicks != 0) == usePeerPidfd {
			t.Fatalf("usePeerPidfd=%v: acceptedTicks %d", usePeerPidfd, p.acceptedTicks)
		}
		st, err := readProcStat(p.pid)
		if err != nil {
			t.Fatal(err)
		}
		child.Process.Kill()
		child.Wait()
		if why := p.check(binding{session: st.session, tty: st.tty}); why != "the process exited" {
			t.Fatalf("usePeerPidfd=%v: after the peer exited: %q", usePeerPidfd, why)
		}
		p.close()
	}
}

func TestPeerStartedAfterAcceptIsRefused(t *testing.T) {
	_, conn := acceptChild(t)
	// As if the connection had been accepted at boot: the pinned process started later, so a pid reuse.
	p, why := identifyPeer(conn, 1, false)
	if why != "" {
		t.Fatal(why)
	}
	defer p.close()
	if why := p.check(binding{}); why != "the process exited (its pid now belongs to a newer process)" {
		t.Fatalf("got %q", why)
	}
}
