package progress

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// The lock is a file made with O_CREATE|O_EXCL rather than flock: that works the same on
// linux, darwin and windows, which the plugin is built for. Vars so tests can shorten them.
var (
	lockPoll    = 20 * time.Millisecond
	lockTimeout = 10 * time.Second
	// A command holds the lock for a read and a write, milliseconds: a lock file this old was
	// left by a command that was killed.
	lockStale = 30 * time.Second
)

// lock waits for PATH.lock and returns the function that removes it.
func (s *Store) lock() (unlock func(), err error) {
	path := s.path + ".lock"
	err = wait.PollUntilContextTimeout(context.Background(), lockPoll, lockTimeout, true,
		func(context.Context) (bool, error) {
			f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err == nil {
				// The pid is only for a person wondering who holds it.
				fmt.Fprintf(f, "%d\n", os.Getpid())
				f.Close()
				return true, nil
			}
			if !errors.Is(err, fs.ErrExist) {
				return false, fmt.Errorf("locking the progress file: %w", err)
			}
			// Held: by a running command (wait), or a killed one (remove, then retry). Another
			// waiter may remove the same stale file and take the lock in between; that narrow
			// race only matters after a command was killed, and costs at most one record.
			if fi, err := os.Stat(path); err == nil && time.Since(fi.ModTime()) > lockStale {
				os.Remove(path)
			}
			return false, nil
		})
	if wait.Interrupted(err) {
		return nil, fmt.Errorf("the progress file is still locked after %s by %s: if no kubectl-netpol command is running, remove that file", lockTimeout, path)
	}
	if err != nil {
		return nil, err
	}
	// Removed without checking it is still ours: it could only be another's if we had held it
	// longer than lockStale, which one read and one write never take.
	return func() { os.Remove(path) }, nil
}
