package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// procStat holds the fields of /proc/<pid>/stat that a terminal binding is made of.
type procStat struct {
	pgrp      int
	session   int
	tty       int
	tpgid     int
	startTime uint64
}

// parseProcStat reads a stat line. The command name (field 2) is in parentheses and may itself hold
// spaces and ')', so the fields are counted from the last ')'.
func parseProcStat(text string) (procStat, error) {
	end := strings.LastIndexByte(text, ')')
	if end < 0 {
		return procStat{}, fmt.Errorf("malformed stat line")
	}
	f := strings.Fields(text[end+1:])
	// f[0] is field 3 (state): pgrp is field 5, session 6, tty_nr 7, tpgid 8, starttime 22.
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("stat line has %d fields after the command name", len(f))
	}
	var st procStat
	var err error
	for _, v := range []struct {
		dst *int
		src string
	}{{&st.pgrp, f[2]}, {&st.session, f[3]}, {&st.tty, f[4]}, {&st.tpgid, f[5]}} {
		if *v.dst, err = strconv.Atoi(v.src); err != nil {
			return procStat{}, fmt.Errorf("malformed stat field %q", v.src)
		}
	}
	if st.startTime, err = strconv.ParseUint(f[19], 10, 64); err != nil {
		return procStat{}, fmt.Errorf("malformed start time %q", f[19])
	}
	return st, nil
}

func readProcStat(pid int) (procStat, error) {
	text, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseProcStat(string(text))
}

// binding is the terminal session the agent serves: like sudo's timestamp record, the controlling
// terminal, the session id and the session leader's start time (a reused session id does not match).
type binding struct {
	uid          int
	session      int
	sessionStart uint64
	tty          int
}

// admits says why a process with this stat may not use the agent, or "" when it may. The words go to
// the refused client as they are: they name the rule, never anything about the agent's identity.
func (b binding) admits(st procStat) string {
	switch {
	case st.tty == 0:
		return "the process has no controlling terminal"
	case st.session != b.session || st.tty != b.tty:
		return "the process belongs to another terminal session"
	case st.tpgid != st.pgrp:
		// A background job (the kind that injects keystrokes) is not the person's foreground command.
		return "the process is not the foreground job of its terminal"
	}
	return ""
}

// exited is true once the process behind a pidfd has terminated (a pidfd polls readable then).
func exited(pidfd int) bool {
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0
}

// verifyStart checks that the binding describes a live session whose leader is the one recorded, and
// that the starting process itself belongs to it (a starter cannot hand the agent to another
// session). It returns a pidfd of the session leader, which polls readable when the leader exits.
func verifyStart(b binding) (int, error) {
	leader, err := unix.PidfdOpen(b.session, 0)
	if err != nil {
		return -1, startErr("binding-mismatch", "the session leader (pid %d) is gone: %v", b.session, err)
	}
	st, err := readProcStat(b.session)
	switch {
	case err != nil || exited(leader):
		err = startErr("binding-mismatch", "the session leader (pid %d) is gone", b.session)
	case st.session != b.session:
		err = startErr("binding-mismatch", "pid %d does not lead a session", b.session)
	case st.startTime != b.sessionStart:
		err = startErr("binding-mismatch", "pid %d is not the session leader that was bound (start time differs)", b.session)
	}
	if err == nil {
		parent := os.Getppid()
		pst, perr := readProcStat(parent)
		if perr != nil {
			err = startErr("binding-mismatch", "the starting process (pid %d) is gone", parent)
		} else if why := b.admits(pst); why != "" {
			err = startErr("binding-mismatch", "the starting process (pid %d) may not use this binding: %s", parent, why)
		}
	}
	if err != nil {
		unix.Close(leader)
		return -1, err
	}
	return leader, nil
}
