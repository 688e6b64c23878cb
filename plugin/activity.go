package plugin

import (
	"io"
	"os"
	"sync"
	"time"

	"github.com/briandowns/spinner"
	"golang.org/x/term"
)

// activity shows what a long command is doing, on stderr, only when stderr is a terminal (a
// spinner in a log file or a pipe is noise). Results never go here: they go to stdout.
type activity struct {
	mu      sync.Mutex
	spinner *spinner.Spinner
}

// newActivity starts a spinner when stderr is a terminal and the output is for people:
// machine-readable output (-o json|yaml) gets none, since its stderr may still be a terminal.
func newActivity(errOut io.Writer, output string) *activity {
	f, ok := errOut.(*os.File)
	if output != "" && output != outputTable {
		return &activity{}
	}
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &activity{}
	}
	s := spinner.New(spinner.CharSets[14], 100*time.Millisecond, spinner.WithWriterFile(f))
	if os.Getenv("NO_COLOR") == "" {
		_ = s.Color("cyan")
	}
	s.Start()
	return &activity{spinner: s}
}

// Update replaces the text beside the spinner.
func (p *activity) Update(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spinner == nil {
		return
	}
	p.spinner.Lock()
	p.spinner.Suffix = " " + msg
	p.spinner.Unlock()
}

// Stop removes the spinner; the command then prints its result lines itself.
func (p *activity) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.spinner != nil {
		p.spinner.Stop()
		p.spinner = nil
	}
}
