package probe

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkRun200Probes is the figure: 200 probes that take 1 s each, 25 at a time,
// which should take 200/25 = 8 rounds of 1 s. "probes" charges the second to the probes only;
// "with-detection" charges it to every exec, so the one exec per source pod that finds its
// clients (cached afterwards) adds a round. Each op takes seconds: run it with
//
//	go test -short -run '^$' -bench BenchmarkRun200Probes -benchtime=1x ./probe/
func BenchmarkRun200Probes(b *testing.B) {
	var jobs []Job
	for pod := range 25 {
		for port := range int32(8) {
			jobs = append(jobs, tcpJob(fmt.Sprintf("p%d", pod), "10.0.20.1", 8080+port, true))
		}
	}
	for _, bc := range []struct {
		name        string
		detectDelay time.Duration
	}{{"probes", 0}, {"with-detection", time.Second}} {
		b.Run(bc.name, func(b *testing.B) {
			exec := ExecutorFunc(func(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
				delay := time.Second
				if slices.Equal(req.Command, detectCommand) {
					delay = bc.detectDelay
				}
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return nil, nil, ctx.Err()
				}
				if slices.Equal(req.Command, detectCommand) {
					return []byte(busyboxDetect), nil, nil
				}
				stdout, stderr, err := ncAnswer(Connected, targetOf(req.Command))
				return []byte(stdout), []byte(stderr), err
			})
			var wall time.Duration
			ops := 0
			for b.Loop() {
				r := &Runner{Exec: exec, Parallel: 25, Timeout: 3 * time.Second, Retries: 1}
				start := time.Now()
				results := r.Run(context.Background(), jobs)
				wall += time.Since(start)
				ops++
				for _, res := range results {
					if res.Outcome != Connected || res.Attempts != 1 {
						b.Fatalf("%s:%d: %s after %d attempts (%v)", res.Job.From, res.Job.Port, res.Outcome, res.Attempts, res.Err)
					}
				}
			}
			b.ReportMetric((wall / time.Duration(ops)).Seconds(), "wall-s/op")
		})
	}
}

// BenchmarkMatrix9x2 is the other figure: 9 pods x 2 ports whose probes all time out
// as expected (a default deny), with a 1 s probe timeout. The wall time, in probe deadlines,
// should be about one: a round, no retries.
//
//	go test -short -run '^$' -bench BenchmarkMatrix9x2 -benchtime=1x ./probe/
func BenchmarkMatrix9x2(b *testing.B) {
	var jobs []Job
	for pod := range 9 {
		for _, port := range []int32{80, 81} {
			jobs = append(jobs, tcpJob(fmt.Sprintf("p%d", pod), "10.0.3.1", port, false))
		}
	}
	exec := ExecutorFunc(func(ctx context.Context, req ExecRequest) ([]byte, []byte, error) {
		if slices.Equal(req.Command, detectCommand) {
			return []byte(busyboxDetect), nil, nil
		}
		<-ctx.Done() // dropped: the client waits for its deadline
		return nil, nil, ctx.Err()
	})
	var wall time.Duration
	var deadline time.Duration
	ops := 0
	for b.Loop() {
		r := &Runner{Exec: exec, Parallel: DefaultParallel, Timeout: time.Second, Retries: 1}
		deadline = r.deadline()
		start := time.Now()
		for _, res := range r.Run(context.Background(), jobs) {
			if res.Outcome != Timeout || !res.Agrees() {
				b.Fatalf("%s:%d: %s (%v)", res.Job.From, res.Job.Port, res.Outcome, res.Err)
			}
		}
		wall += time.Since(start)
		ops++
	}
	b.ReportMetric((wall / time.Duration(ops)).Seconds(), "wall-s/op")
	b.ReportMetric(float64(wall/time.Duration(ops))/float64(deadline), "probe-deadlines/op")
}
