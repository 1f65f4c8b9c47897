package main

import "golang.org/x/sys/unix"

// harden makes this process non-dumpable: another process of the same uid can no longer ptrace it or
// open /proc/<pid>/mem, environ or maps (they become root's), and no core dump is written (RLIMIT_CORE 0
// as well). Root keeps every power over it; see docs/spec.md, "Honest limits".
func harden() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return err
	}
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}

// lockMemory keeps the agent's pages out of swap where the kernel allows it: root (CAP_IPC_LOCK), or a
// RLIMIT_MEMLOCK above the Go runtime's mapped size. MCL_ONFAULT locks pages as they are used instead of
// faulting in every reserved mapping. False when refused; the agent then runs unlocked and says so.
func lockMemory() bool {
	return unix.Mlockall(unix.MCL_CURRENT|unix.MCL_FUTURE|unix.MCL_ONFAULT) == nil
}
