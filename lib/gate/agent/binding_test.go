package main

import "testing"

func TestParseProcStatWithAwkwardCommandName(t *testing.T) {
	// A command name with spaces and ')' must not shift the fields.
	line := "4242 (a) b (c) S 1 4240 4200 34817 4240 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0\n"
	st, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	want := procStat{pgrp: 4240, session: 4200, tty: 34817, tpgid: 4240, startTime: 987654}
	if st != want {
		t.Fatalf("parsed %+v, want %+v", st, want)
	}
	if _, err := parseProcStat("4242 (x) S 1 2"); err == nil {
		t.Fatal("a truncated stat line was accepted")
	}
}

func TestAdmits(t *testing.T) {
	b := binding{uid: 1000, session: 4200, sessionStart: 777, tty: 34817}
	cases := []struct {
		name string
		st   procStat
		want string
	}{
		{"the foreground job of the session", procStat{pgrp: 4300, session: 4200, tty: 34817, tpgid: 4300}, ""},
		{"no terminal", procStat{pgrp: 4300, session: 4300, tty: 0, tpgid: -1}, "the process has no controlling terminal"},
		{"another session", procStat{pgrp: 5000, session: 5000, tty: 34818, tpgid: 5000}, "the process belongs to another terminal session"},
		{"same tty number, other session", procStat{pgrp: 5000, session: 5000, tty: 34817, tpgid: 5000}, "the process belongs to another terminal session"},
		{"a background job", procStat{pgrp: 4301, session: 4200, tty: 34817, tpgid: 4300}, "the process is not the foreground job of its terminal"},
	}
	for _, c := range cases {
		if got := b.admits(c.st); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
