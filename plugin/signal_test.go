package plugin

import (
	"bytes"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The first Ctrl-C cancels the command's context (it cleans up); the second exits at once
// with 130. Real signals, sent to this process.
func TestInterruptTwiceExits(t *testing.T) {
	var errOut bytes.Buffer
	var code atomic.Int64
	code.Store(-1)
	exited := make(chan struct{})
	ctx, interrupted, stop := interruptible(&errOut, func(c int) { code.Store(int64(c)); close(exited) })
	defer stop()
	if interrupted() {
		t.Fatal("interrupted before any signal")
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the first Ctrl-C did not cancel the context")
	}
	if !interrupted() || code.Load() != -1 {
		t.Fatalf("after one Ctrl-C: interrupted %t, exit %d", interrupted(), code.Load())
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("the second Ctrl-C did not exit")
	}
	if code.Load() != ExitInterrupted {
		t.Errorf("exit %d, want %d", code.Load(), ExitInterrupted)
	}
	if out := errOut.String(); !strings.Contains(out, "press Ctrl-C again to quit at once") || !strings.Contains(out, "quitting now") {
		t.Errorf("stderr %q", out)
	}
}
