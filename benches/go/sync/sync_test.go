// Package syncbench holds the Go twins of benches/sync_bench.cc: the same
// benchmark names, parameters and units, with Go's sync package.
//
//	MutexUncontended                 Lock + Unlock by one goroutine.
//	MutexContended/goroutines=N      N goroutines at GOMAXPROCS=2, each
//	                                 Lock, counter++, Unlock; ns per pair.
//	WaitGroupAddDoneWait             Add(1), Done(), Wait(); ns per round.
//	WaitGroupJoin/goroutines=N       start N goroutines that call Done(),
//	                                 Wait; ns per goroutine.
//
// Run: cd benches/go && go test -run '^$' -bench . -count 5 ./sync/
package syncbench

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

func withProcs(b *testing.B, n int) {
	prev := runtime.GOMAXPROCS(n)
	b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

var sink int64

func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	var counter int64
	for i := 0; i < b.N; i++ {
		mu.Lock()
		counter++
		mu.Unlock()
	}
	sink = counter
}

func BenchmarkMutexContended(b *testing.B) {
	for _, n := range []int{2, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			withProcs(b, 2)
			var mu sync.Mutex
			var counter int64
			per := b.N / n
			if per < 1 {
				per = 1
			}
			var wg sync.WaitGroup
			wg.Add(n)
			b.ResetTimer()
			for g := 0; g < n; g++ {
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						mu.Lock()
						counter++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			sink = counter
		})
	}
}

func BenchmarkWaitGroupAddDoneWait(b *testing.B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		wg.Done()
		wg.Wait()
	}
}

func BenchmarkWaitGroupJoin(b *testing.B) {
	for _, n := range []int{8, 100} {
		b.Run(fmt.Sprintf("goroutines=%d", n), func(b *testing.B) {
			withProcs(b, 2)
			for i := 0; i < b.N; i += n {
				var wg sync.WaitGroup
				wg.Add(n)
				for g := 0; g < n; g++ {
					go func() { wg.Done() }()
				}
				wg.Wait()
			}
		})
	}
}
