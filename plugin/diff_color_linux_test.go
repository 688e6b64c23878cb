package plugin

import (
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Colour goes to a terminal only, and never with NO_COLOR set: checked on a real terminal, a
// pseudo-terminal opened here, and on a pipe.
func TestDiffColourOnlyOnATerminal(t *testing.T) {
	tty := openPTY(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	t.Setenv("NO_COLOR", "")
	if !colorful(tty) {
		t.Error("no colour on a terminal")
	}
	if colorful(w) {
		t.Error("colour on a pipe")
	}
	t.Setenv("NO_COLOR", "1")
	if colorful(tty) {
		t.Error("colour on a terminal with NO_COLOR set")
	}

	// And the command itself, writing to the terminal.
	before, after := diffFolders(t, diffDocs(diffBase()...), diffDocs(diffNamespaceWeb, diffNamespaceDB, diffFrontends, diffPostgres, diffAdmin))
	for _, noColor := range []string{"", "1"} {
		t.Setenv("NO_COLOR", noColor)
		ptm, tty := openPTYPair(t)
		read := make(chan string)
		go func() {
			var out strings.Builder
			_, _ = io.Copy(&out, ptm) // ends with EIO once the terminal end is closed
			read <- out.String()
		}()
		code := Main(genericiooptions.IOStreams{In: strings.NewReader(""), Out: tty, ErrOut: io.Discard}, []string{"diff", "--before", before, "--after", after})
		tty.Close()
		out := <-read
		if colored := strings.Contains(out, "\x1b[32m+ "); code != 1 || colored != (noColor == "") {
			t.Errorf("NO_COLOR=%q: exit %d, coloured %t:\n%q", noColor, code, colored, out)
		}
	}
}

// openPTY opens a pseudo-terminal pair and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	_, tty := openPTYPair(t)
	return tty
}

// openPTYPair opens a pseudo-terminal: its controlling end, and its terminal end.
func openPTYPair(t *testing.T) (ptm, tty *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	var unlock int32
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlockpt: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptm.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Skipf("ptsname: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return ptm, tty
}
