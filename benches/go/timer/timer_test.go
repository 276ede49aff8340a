// Package timer holds the Go twins of benches/timer_bench.cc: same names,
// parameters (n=N/procs=P for the C++ n:N/procs:P) and metric keys.
//
// A time.Ticker of 1 ms; the lateness of a tick is time.Since(tick), since Go
// 1.23 sends Now()-delta, i.e. the tick's scheduled time. One op = one tick
// received, so ns/op is the mean interval between received ticks.
//
//	TimerLateness               the ticker alone.
//	TimerSaturated/n=N/procs=P  the ticker beside N CPU-bound goroutines at
//	                            GOMAXPROCS=P, (N,P) in (1,2) (2,2) (2,1) (4,2),
//	                            and (2,0): procs=0 keeps Go's own GOMAXPROCS.
//
// Metrics: p50_ns, p99_ns, max_ns, mean_ns (lateness), ticks, ticks_per_s,
// procs, timerpreempt (always 0: Go has no such mechanism); TimerSaturated
// adds work_per_s (spinWork steps per second over all spinners) and spinners.
// dropped is not reported: Go does not expose the ticks its ticker dropped.
//
// Run: cd benches/go && go test -run '^$' -bench . -count 5 ./timer/
package timer

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const period = time.Millisecond

// spinWork is sched_util.h's spin_work: n steps of a dependent LCG+xorshift.
func spinWork(x uint64, n int64) uint64 {
	for i := int64(0); i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return x
}

// percentile is the nearest-rank percentile of sorted v (p in [0,1]).
func percentile(v []int64, p float64) float64 {
	if len(v) == 0 {
		return 0
	}
	rank := int(math.Ceil(p * float64(len(v))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(v) {
		rank = len(v)
	}
	return float64(v[rank-1])
}

type tickLog struct {
	late   []int64
	t0, t1 time.Time
}

// runTicker receives b.N ticks, recording each one's lateness.
func runTicker(b *testing.B) *tickLog {
	log := &tickLog{late: make([]int64, 0, b.N)}
	tk := time.NewTicker(period)
	defer tk.Stop()
	b.ResetTimer()
	log.t0 = time.Now()
	for i := 0; i < b.N; i++ {
		tick := <-tk.C
		late := time.Since(tick).Nanoseconds()
		if late < 0 {
			late = 0
		}
		log.late = append(log.late, late)
	}
	log.t1 = time.Now()
	b.StopTimer()
	return log
}

func report(b *testing.B, log *tickLog) {
	sum := 0.0
	for _, v := range log.late {
		sum += float64(v)
	}
	n := float64(len(log.late))
	sort.Slice(log.late, func(i, j int) bool { return log.late[i] < log.late[j] })
	if n > 0 {
		b.ReportMetric(sum/n, "mean_ns")
		b.ReportMetric(float64(log.late[len(log.late)-1]), "max_ns")
	}
	b.ReportMetric(percentile(log.late, 0.50), "p50_ns")
	b.ReportMetric(percentile(log.late, 0.99), "p99_ns")
	b.ReportMetric(n, "ticks")
	if d := log.t1.Sub(log.t0).Seconds(); d > 0 {
		b.ReportMetric(n/d, "ticks_per_s")
	}
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
	b.ReportMetric(0, "timerpreempt")
}

func BenchmarkTimerLateness(b *testing.B) {
	report(b, runTicker(b))
}

// spinCounter is padded to its own cache line.
type spinCounter struct {
	steps atomic.Uint64
	_     [56]byte
}

func BenchmarkTimerSaturated(b *testing.B) {
	for _, c := range []struct{ n, p int }{{1, 2}, {2, 2}, {2, 1}, {4, 2}, {2, 0}} {
		b.Run(fmt.Sprintf("n=%d/procs=%d", c.n, c.p), func(b *testing.B) {
			if c.p > 0 {
				prev := runtime.GOMAXPROCS(c.p)
				defer runtime.GOMAXPROCS(prev)
			}
			counters := make([]spinCounter, c.n)
			var stop atomic.Bool
			var sink atomic.Uint64
			var stopped sync.WaitGroup
			stopped.Add(c.n)
			for i := 0; i < c.n; i++ {
				go func(i int) {
					x, steps := uint64(i)+1, uint64(0)
					for !stop.Load() {
						x = spinWork(x, 1024)
						steps += 1024
						counters[i].steps.Store(steps)
					}
					sink.Add(x)
					stopped.Done()
				}(i)
			}
			time.Sleep(5 * time.Millisecond) // every spinner onto a P
			total := func() uint64 {
				s := uint64(0)
				for i := range counters {
					s += counters[i].steps.Load()
				}
				return s
			}
			w0 := total()
			log := runTicker(b)
			w1 := total()
			stop.Store(true)
			stopped.Wait()
			report(b, log)
			if d := log.t1.Sub(log.t0).Seconds(); d > 0 {
				b.ReportMetric(float64(w1-w0)/d, "work_per_s")
			}
			b.ReportMetric(float64(c.n), "spinners")
		})
	}
}
