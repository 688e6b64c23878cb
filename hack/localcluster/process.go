package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one control-plane component running from the binary folder, with its output in
// logs/NAME.log and its pid in NAME.pid (so that `cluster down` can find it from another process).
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

func startProcess(dir, name string, detach bool, argv []string) (*process, error) {
	logPath := filepath.Join(dir, "logs", name+".log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy of the descriptor

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr(detach)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return nil, err
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	return p, nil
}

// exited reports whether the process has ended already (a component that dies at start-up).
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// failure describes a component that died, with the end of its log, which says why.
func (p *process) failure() error {
	return fmt.Errorf("%s exited (%v); the end of %s:\n%s", p.name, p.cmd.ProcessState, p.log, tail(p.log, 15))
}

func (p *process) stop() {
	stopPID(p.cmd.Process.Pid, p.done)
}

// stopPID sends SIGTERM, then SIGKILL if the process is still there after a few seconds.
// done, when not nil, closes when the process has been reaped.
func stopPID(pid int, done <-chan struct{}) {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return
	}
	if err := proc.Signal(syscall.SIGTERM); err != nil {
		return // already gone
	}
	deadline := time.After(5 * time.Second)
	for {
		if done != nil {
			select {
			case <-done:
				return
			case <-deadline:
				_ = proc.Kill()
				<-done
				return
			}
		}
		if proc.Signal(syscall.Signal(0)) != nil {
			return
		}
		select {
		case <-deadline:
			_ = proc.Kill()
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return "    " + strings.Join(all, "\n    ")
}

func readPID(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return 0, errors.New("bad pid file " + path)
	}
	return pid, nil
}

func alive(pid int) bool {
	proc, err := os.FindProcess(pid)
	return err == nil && proc.Signal(syscall.Signal(0)) == nil
}

// LogTail is the end of a component's log (kubelet, kube-proxy, …), or of the newest log of a
// container of that name on the real node (kube-router, kube-flannel), for a test's failure
// message.
func (c *Cluster) LogTail(component string, lines int) string {
	path := filepath.Join(c.Dir, "logs", component+".log")
	if _, err := os.Stat(path); err != nil && c.Node != nil {
		// The kubelet's layout: NAMESPACE_POD_UID/CONTAINER/RESTARTS.log.
		logs, _ := filepath.Glob(filepath.Join(c.Node.Dir, "pod-logs", "*", component, "*.log"))
		var newest time.Time
		for _, l := range logs {
			if info, err := os.Stat(l); err == nil && info.ModTime().After(newest) {
				path, newest = l, info.ModTime()
			}
		}
	}
	return tail(path, lines)
}
