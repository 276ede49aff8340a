// Package quota is the Go twin of the claim-308 quota experiment: how late a
// latency-sensitive goroutine (a 1 ms ticker) runs beside CPU-bound
// goroutines, under whatever CPU quota and GOMAXPROCS the harness sets.
//
// One op is one tick. Lateness of a tick is the time it was received minus
// the time it was due (the tick's value: Go 1.23 timers carry their due
// time). Reported per run: p50/p99/max lateness in ns.
package quota

import (
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// spin burns CPU until stop is set, as a CPU-bound request handler would.
func spin(stop *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	x := uint64(1)
	for !stop.Load() {
		for i := 0; i < 1000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	if x == 42 {
		fmt.Println("unlikely")
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

func BenchmarkQuotaTicker(b *testing.B) {
	for _, spinners := range []int{2} {
		b.Run(fmt.Sprintf("spinners=%d", spinners), func(b *testing.B) {
			var stop atomic.Bool
			var wg sync.WaitGroup
			for i := 0; i < spinners; i++ {
				wg.Add(1)
				go spin(&stop, &wg)
			}
			late := make([]time.Duration, 0, b.N)
			t := time.NewTicker(time.Millisecond)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				due := <-t.C
				late = append(late, time.Since(due))
			}
			b.StopTimer()
			t.Stop()
			stop.Store(true)
			wg.Wait()
			sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
			b.ReportMetric(float64(percentile(late, 0.50).Nanoseconds()), "p50_late_ns")
			b.ReportMetric(float64(percentile(late, 0.99).Nanoseconds()), "p99_late_ns")
			b.ReportMetric(float64(late[len(late)-1].Nanoseconds()), "max_late_ns")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "gomaxprocs")
		})
	}
}
