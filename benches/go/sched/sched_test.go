// Package sched holds the Go twins of benches/sched_bench.cc: the same
// benchmark names, parameters (procs=N for the C++ procs:N) and metric keys,
// measured with the real Go runtime so every ratio is taken side by side.
//
//	GoschedPingPong/procs=1  two goroutines alternating with runtime.Gosched
//	                         at GOMAXPROCS=1; ns per switch (one op = one
//	                         Gosched).
//	SpawnJoin/procs=P        go + exit + join, ns per goroutine; batches of 100
//	                         joined by a sync.WaitGroup.
//	Skynet/procs=P           1,111,111 goroutines in a 10-ary tree summing the
//	                         leaves (499999500000, checked); each node joins
//	                         its 10 children with a WaitGroup. ns per tree.
//	ParkedGoroutineMemory    RSS delta over 100k goroutines blocked on a
//	                         channel receive, / 100k -> rss_per_g_bytes, in a
//	                         fresh child process (this test binary re-run);
//	                         ns/op = spawn-until-started time per goroutine.
//	FanOut/procs=P           fixed CPU-bound work over 64 goroutines at
//	                         GOMAXPROCS 1..32 (claim 308); ns per fan-out.
//
// Run: cd benches/go && go test -run '^$' -bench . -count 5 ./sched/
package sched

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain runs a child measurement instead of the tests when this binary
// was started by runChild.
func TestMain(m *testing.M) {
	switch os.Getenv("GORT_BENCH_CHILD") {
	case "":
		os.Exit(m.Run())
	case "parked_goroutines":
		childParkedGoroutines()
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown GORT_BENCH_CHILD", os.Getenv("GORT_BENCH_CHILD"))
		os.Exit(2)
	}
}

// spinWork is sched_util.h's spin_work: n steps of a dependent LCG+xorshift.
func spinWork(x uint64, n int64) uint64 {
	for i := int64(0); i < n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 29
	}
	return x
}

// rssBytes reads the resident set size from /proc/self/statm.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// withProcs sets GOMAXPROCS for the benchmark (n <= 0: leave it).
func withProcs(b *testing.B, n int) {
	if n > 0 {
		prev := runtime.GOMAXPROCS(n)
		b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
	}
}

func BenchmarkGoschedPingPong(b *testing.B) {
	b.Run("procs=1", func(b *testing.B) {
		withProcs(b, 1)
		var stop atomic.Bool
		var partner int64
		var done sync.WaitGroup
		done.Add(1)
		go func() {
			n := int64(0)
			for !stop.Load() {
				runtime.Gosched()
				n++
			}
			partner = n
			done.Done()
		}()
		runtime.Gosched()
		b.ResetTimer()
		for i := 0; i < b.N; i += 2 { // two switches per pass
			runtime.Gosched()
		}
		b.StopTimer()
		stop.Store(true)
		done.Wait()
		b.ReportMetric(float64(partner)*2/float64(b.N), "partner_yields_per_op")
	})
}

const spawnBatch = 100

func BenchmarkSpawnJoin(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			var wg sync.WaitGroup
			b.ResetTimer()
			for i := 0; i < b.N; i += spawnBatch {
				wg.Add(spawnBatch)
				for j := 0; j < spawnBatch; j++ {
					go wg.Done()
				}
				wg.Wait()
			}
		})
	}
}

const (
	skynetSize = 1000000
	skynetSum  = 499999500000
)

func skynet(num, size int64, out *int64, parent *sync.WaitGroup) {
	if size == 1 {
		*out = num
		parent.Done()
		return
	}
	var sums [10]int64
	var children sync.WaitGroup
	children.Add(10)
	child := size / 10
	for i := int64(0); i < 10; i++ {
		go skynet(num+i*child, child, &sums[i], &children)
	}
	children.Wait()
	total := int64(0)
	for _, s := range sums {
		total += s
	}
	*out = total
	parent.Done()
}

func BenchmarkSkynet(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			for i := 0; i < b.N; i++ {
				var result int64
				var root sync.WaitGroup
				root.Add(1)
				go skynet(0, skynetSize, &result, &root)
				root.Wait()
				if result != skynetSum {
					b.Fatalf("skynet: sum %d, want %d", result, skynetSum)
				}
			}
			b.ReportMetric(1111111, "goroutines")
		})
	}
}

const parkedGoroutines = 100000

// childParkedGoroutines parks 100k goroutines on a channel receive and
// writes "key value" lines to $GORT_BENCH_CHILD_OUT.
func childParkedGoroutines() {
	gate := make(chan struct{})
	var started atomic.Int64
	var exited sync.WaitGroup
	exited.Add(parkedGoroutines)
	time.Sleep(20 * time.Millisecond)
	rss0 := rssBytes()
	t0 := time.Now()
	for i := 0; i < parkedGoroutines; i++ {
		go func() {
			started.Add(1)
			<-gate
			exited.Done()
		}()
	}
	for started.Load() < parkedGoroutines {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(t0)
	time.Sleep(20 * time.Millisecond) // every started goroutine reaches its receive
	rss1 := rssBytes()
	close(gate)
	exited.Wait()
	out := fmt.Sprintf("rss_per_g_bytes %g\nns_per_g %g\nrss_before_bytes %d\n",
		float64(rss1-rss0)/parkedGoroutines, float64(elapsed.Nanoseconds())/parkedGoroutines, rss0)
	if err := os.WriteFile(os.Getenv("GORT_BENCH_CHILD_OUT"), []byte(out), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runChild re-runs this test binary as the named child measurement.
func runChild(b *testing.B, name string) map[string]float64 {
	f, err := os.CreateTemp("", "gort_bench_child_")
	if err != nil {
		b.Fatal(err)
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "GORT_BENCH_CHILD="+name, "GORT_BENCH_CHILD_OUT="+path)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("child %s: %v", name, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	kv := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fs := strings.Fields(line)
		if len(fs) == 2 {
			v, _ := strconv.ParseFloat(fs[1], 64)
			kv[fs[0]] = v
		}
	}
	return kv
}

// BenchmarkParkedGoroutineMemory: one fresh child process per op; ns/op is
// overridden with the children's spawn-until-started time per goroutine, and
// the metrics are the children's means.
func BenchmarkParkedGoroutineMemory(b *testing.B) {
	var ns, rss, before float64
	for i := 0; i < b.N; i++ {
		kv := runChild(b, "parked_goroutines")
		ns += kv["ns_per_g"]
		rss += kv["rss_per_g_bytes"]
		before += kv["rss_before_bytes"]
	}
	n := float64(b.N)
	b.ReportMetric(ns/n, "ns/op")
	b.ReportMetric(rss/n, "rss_per_g_bytes")
	b.ReportMetric(before/n, "rss_before_bytes")
}

const (
	fanOutGoroutines = 64
	fanOutSteps      = 1 << 18
)

var fanOutExpected = func() uint64 {
	x := uint64(0)
	for i := 0; i < fanOutGoroutines; i++ {
		x ^= spinWork(uint64(i)+1, fanOutSteps)
	}
	return x
}()

func BenchmarkFanOut(b *testing.B) {
	for _, p := range []int{1, 2, 4, 8, 16, 32} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			var results [fanOutGoroutines]uint64
			var wg sync.WaitGroup
			for i := 0; i < b.N; i++ {
				wg.Add(fanOutGoroutines)
				for g := 0; g < fanOutGoroutines; g++ {
					go func(g int) {
						results[g] = spinWork(uint64(g)+1, fanOutSteps)
						wg.Done()
					}(g)
				}
				wg.Wait()
				x := uint64(0)
				for _, r := range results {
					x ^= r
				}
				if x != fanOutExpected {
					b.Fatal("fan-out: wrong checksum")
				}
			}
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "procs")
		})
	}
}
