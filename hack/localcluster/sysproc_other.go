//go:build unix && !linux

package localcluster

import "syscall"

// sysProcAttr: outside Linux there is no parent-death signal; a new session still detaches.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: detach}
}

// unmount: the real dataplane runs on Linux only, so there is nothing to unmount elsewhere.
func unmount(string) error { return nil }
