// Command debug-cloud-agent keeps an operator's opened age identity in memory for a few minutes, for one
// terminal session only (docs/spec.md, "The unlock agent"). The Node CLI starts it detached, with the
// passphrase on stdin; the agent opens the passphrase-sealed keys file itself, answers one JSON line on
// stdout (ready, or why not), and then serves the JSON-lines protocol of protocol.go on a unix socket.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"time"
)

// config is what the starter passes as flags; nothing secret is among them.
type config struct {
	keysFile string
	operator string
	socket   string
	binding  binding
	ttl      time.Duration
	allowYes bool
}

const maxTTL = 24 * time.Hour

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("debug-cloud-agent", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.StringVar(&c.keysFile, "keys-file", "", "the passphrase-sealed age keys file")
	fs.StringVar(&c.operator, "operator", "", "the operator the identity belongs to (reported by status)")
	fs.StringVar(&c.socket, "socket", "", "where to listen; its directory must be private (0700, ours)")
	fs.IntVar(&c.binding.session, "session", 0, "session id of the terminal session (the leader's pid)")
	fs.Uint64Var(&c.binding.sessionStart, "session-start", 0, "start time of the session leader (clock ticks since boot)")
	fs.IntVar(&c.binding.tty, "tty", 0, "device number of the controlling terminal (/proc stat tty_nr)")
	fs.DurationVar(&c.ttl, "ttl", 0, "how long to keep the identity (e.g. 300s)")
	fs.BoolVar(&c.allowYes, "allow-yes", false, "status reports that --yes may skip the typed confirmation")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case c.keysFile == "" || c.operator == "" || c.socket == "":
		return c, fmt.Errorf("--keys-file, --operator and --socket are required")
	case c.binding.session <= 0 || c.binding.sessionStart == 0 || c.binding.tty == 0:
		return c, fmt.Errorf("--session, --session-start and --tty must describe a terminal session")
	case c.ttl < time.Second || c.ttl > maxTTL:
		return c, fmt.Errorf("--ttl must be between 1s and %s", maxTTL)
	}
	c.binding.uid = os.Getuid()
	return c, nil
}

// readyLine is the one line written to stdout before the agent detaches from its starter.
type readyLine struct {
	Ready        bool       `json:"ready"`
	Error        *errorBody `json:"error,omitempty"`
	Pid          int        `json:"pid,omitempty"`
	Socket       string     `json:"socket,omitempty"`
	Recipients   []string   `json:"recipients,omitempty"`
	ExpiresAt    string     `json:"expiresAt,omitempty"`
	MemoryLocked bool       `json:"memoryLocked,omitempty"`
}

func report(line readyLine) {
	text, _ := json.Marshal(line)
	os.Stdout.Write(append(text, '\n'))
}

// startError is a failure before serving, with the code the starter maps to its own error classes.
type startError struct {
	code    string
	message string
}

func (e *startError) Error() string { return e.message }

func startErr(code, format string, args ...any) error {
	return &startError{code: code, message: fmt.Sprintf(format, args...)}
}

// fail reports why the agent cannot serve, and exits.
func fail(err error) {
	var se *startError
	if !errors.As(err, &se) {
		se = &startError{code: "failed", message: err.Error()}
	}
	report(readyLine{Error: &errorBody{Code: se.code, Message: se.message}})
	os.Exit(1)
}

// detachStdio points stdin, stdout and stderr at /dev/null: the starter stops reading once it has the
// ready line, and a Go program writing to a closed pipe on fd 1 or 2 dies of SIGPIPE.
func detachStdio() error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	for _, fd := range []int{0, 1, 2} {
		if err := syscall.Dup2(int(null.Fd()), fd); err != nil {
			return err
		}
	}
	return null.Close()
}

func main() {
	// First of all, before any secret exists in this process: no ptrace, no /proc/<pid>/mem, no core.
	if err := harden(); err != nil {
		fail(startErr("harden-failed", "could not protect the agent's memory: %v", err))
	}
	syscall.Umask(0o077)
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fail(startErr("usage", "%v", err))
	}
	leader, err := verifyStart(cfg.binding)
	if err != nil {
		fail(err)
	}
	pass, err := readPassphrase(os.Stdin)
	if err != nil {
		fail(err)
	}
	keys, err := unseal(cfg.keysFile, pass)
	wipe(pass)
	if err != nil {
		fail(err)
	}
	// The scrypt work buffer (256 MiB at age's default) is released before the heap is locked.
	debug.FreeOSMemory()
	locked := lockMemory()
	srv, err := listen(cfg, keys, leader, locked)
	if err != nil {
		fail(err)
	}
	report(readyLine{
		Ready:        true,
		Pid:          os.Getpid(),
		Socket:       cfg.socket,
		Recipients:   keys.recipients(),
		ExpiresAt:    srv.expiresAt.UTC().Format(time.RFC3339Nano),
		MemoryLocked: locked,
	})
	if err := detachStdio(); err != nil {
		srv.shutdown()
	}
	srv.serve()
}
