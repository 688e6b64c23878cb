package localcluster

import "syscall"

// sysProcAttr keeps a test's control plane from outliving the test binary: the kernel kills the
// components when their parent dies. A detached control plane (`make cluster-up`) gets its own
// session instead, so that it survives the command that started it.
func sysProcAttr(detach bool) *syscall.SysProcAttr {
	if detach {
		return &syscall.SysProcAttr{Setsid: true}
	}
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// unmount detaches a mount point at once, even while something still uses it.
func unmount(path string) error { return syscall.Unmount(path, syscall.MNT_DETACH) }
