// Package mem holds the Go twins of benches/mem_bench.cc: the same names,
// parameters (size=S for the C++ size:S) and metric keys, run with GOGC=off
// (the harness sets it) so that, as in the C++ versions, nothing is
// collected while the clock runs: every batch stops the timer and reclaims
// with runtime.GC(), the analogue of gort's release_all().
//
//	MallocFast/size=S/scan=B  new(T) of an S-byte type (B=1: an array of
//	                          pointers, B=0: of bytes); ns per object.
//	LargeAlloc/size=S         make([]byte, S) for S > 32 KiB.
//	MultiP/procs=P            P goroutines each allocating 8192 64-byte
//	                          objects per op; objects_per_op = P*8192.
//	Larson/procs=2            a producer goroutine allocates 16..512 B and
//	                          hands them through a ring to a consumer that
//	                          touches and drops them; runtime.GC() once per
//	                          round of 64 Ki objects, inside the timing.
//	Fragmentation             mixed sizes to 64 MiB live, 4 rounds of drop
//	                          half + refill; retained_per_live =
//	                          (HeapSys - HeapReleased) / live, rss_per_live.
//	ScavengeAfterShrink       256 MiB live, drop 90%, GOGC=100: seconds until
//	                          HeapSys - HeapReleased <= goal * 1.1 + 512 KiB.
//
// Run: cd benches/go && GOGC=off go test -run '^$' -bench . -count 5 ./mem/
package mem

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

var sink unsafe.Pointer

func batchFor(size int) int {
	n := (8 << 20) / size
	if n > 8192 {
		n = 8192
	}
	if n < 64 {
		n = 64
	}
	return n
}

func benchNew[T any](b *testing.B) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	batch := batchFor(size)
	runtime.GC()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		sink = unsafe.Pointer(new(T))
		n++
		if n == batch {
			b.StopTimer()
			sink = nil
			runtime.GC()
			n = 0
			b.StartTimer()
		}
	}
	b.SetBytes(int64(size))
}

func BenchmarkMallocFast(b *testing.B) {
	b.Run("size=16/scan=0", benchNew[[16]byte])
	b.Run("size=16/scan=1", benchNew[[2]*byte])
	b.Run("size=32/scan=0", benchNew[[32]byte])
	b.Run("size=32/scan=1", benchNew[[4]*byte])
	b.Run("size=64/scan=0", benchNew[[64]byte])
	b.Run("size=64/scan=1", benchNew[[8]*byte])
	b.Run("size=128/scan=0", benchNew[[128]byte])
	b.Run("size=128/scan=1", benchNew[[16]*byte])
	b.Run("size=256/scan=0", benchNew[[256]byte])
	b.Run("size=256/scan=1", benchNew[[32]*byte])
	b.Run("size=512/scan=0", benchNew[[512]byte])
	b.Run("size=512/scan=1", benchNew[[64]*byte])
	b.Run("size=1024/scan=0", benchNew[[1024]byte])
	b.Run("size=1024/scan=1", benchNew[[128]*byte])
	b.Run("size=4096/scan=0", benchNew[[4096]byte])
	b.Run("size=4096/scan=1", benchNew[[512]*byte])
}

var sinkSlice []byte

func BenchmarkLargeAlloc(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			batch := (64 << 20) / size
			if batch < 4 {
				batch = 4
			}
			runtime.GC()
			b.ResetTimer()
			n := 0
			for i := 0; i < b.N; i++ {
				sinkSlice = make([]byte, size)
				n++
				if n == batch {
					b.StopTimer()
					sinkSlice = nil
					runtime.GC()
					n = 0
					b.StartTimer()
				}
			}
		})
	}
}

var perG [256]unsafe.Pointer // one per goroutine, 64 B apart

func BenchmarkMultiP(b *testing.B) {
	const perRound = 8192
	for _, p := range []int{1, 2, 4, 8, 16} {
		if p > 2 && p > runtime.NumCPU() {
			break
		}
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			prev := runtime.GOMAXPROCS(p)
			defer runtime.GOMAXPROCS(prev)
			runtime.GC()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for g := 0; g < p; g++ {
					wg.Add(1)
					go func(g int) {
						for j := 0; j < perRound; j++ {
							perG[g*8] = unsafe.Pointer(new([64]byte))
						}
						wg.Done()
					}(g)
				}
				wg.Wait()
				b.StopTimer()
				runtime.GC()
				b.StartTimer()
			}
			b.ReportMetric(float64(p*perRound), "objects_per_op")
		})
	}
}

const ringSize = 1024
const larsonRound = 64 << 10

type ring struct {
	head, tail atomic.Uint64
	slot       [ringSize]unsafe.Pointer
}

func BenchmarkLarson(b *testing.B) {
	b.Run("procs=2", func(b *testing.B) {
		prev := runtime.GOMAXPROCS(2)
		defer runtime.GOMAXPROCS(prev)
		runtime.GC()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r := &ring{}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { // producer
				rng := rand.New(rand.NewSource(7))
				for k := 0; k < larsonRound; k++ {
					for r.head.Load()-r.tail.Load() == ringSize {
						runtime.Gosched()
					}
					s := make([]byte, 16+rng.Intn(497))
					s[0] = 1
					h := r.head.Load()
					r.slot[h%ringSize] = unsafe.Pointer(&s[0])
					r.head.Store(h + 1)
				}
				wg.Done()
			}()
			go func() { // consumer
				for k := 0; k < larsonRound; k++ {
					for r.head.Load() == r.tail.Load() {
						runtime.Gosched()
					}
					t := r.tail.Load()
					_ = *(*byte)(r.slot[t%ringSize])
					r.slot[t%ringSize] = nil
					r.tail.Store(t + 1)
				}
				wg.Done()
			}()
			wg.Wait()
			runtime.GC() // reclaiming is part of the work here
		}
		b.ReportMetric(larsonRound, "objects_per_op")
	})
}

func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func mixedSize(rng *rand.Rand, phase int) int {
	r := rng.Intn(100)
	switch {
	case r < 30:
		return 1 + rng.Intn(15)
	case r < 70:
		if phase != 0 {
			return 16 + rng.Intn(500)
		}
		return 16 + rng.Intn(240)
	case r < 95:
		if phase != 0 {
			return 512 + rng.Intn(7000)
		}
		return 512 + rng.Intn(3500)
	}
	return 33000 + rng.Intn(32000)
}

func mixedAlloc(rng *rand.Rand, s int) unsafe.Pointer {
	if s >= 16 && rng.Intn(2) == 1 {
		p := make([]*byte, (s+7)/8)
		return unsafe.Pointer(&p[0])
	}
	p := make([]byte, s)
	for i := range p {
		p[i] = 1
	}
	return unsafe.Pointer(&p[0])
}

func BenchmarkFragmentation(b *testing.B) {
	const liveTarget = 64 << 20
	var ratio, rssRatio float64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		debug.FreeOSMemory()
		rss0 := rssBytes()
		rng := rand.New(rand.NewSource(11))
		type obj struct {
			p    unsafe.Pointer
			size int
		}
		var live []obj
		liveBytes := 0
		for liveBytes < liveTarget {
			s := mixedSize(rng, 0)
			live = append(live, obj{mixedAlloc(rng, s), s})
			liveBytes += s
		}
		for round := 1; round <= 4; round++ {
			var keep []obj
			liveBytes = 0
			for _, o := range live {
				if rng.Intn(2) == 1 {
					continue
				}
				keep = append(keep, o)
				liveBytes += o.size
			}
			live = keep
			runtime.GC()
			for liveBytes < liveTarget {
				s := mixedSize(rng, round&1)
				live = append(live, obj{mixedAlloc(rng, s), s})
				liveBytes += s
			}
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		ratio = float64(ms.HeapSys-ms.HeapReleased) / float64(liveBytes)
		rssRatio = float64(rssBytes()-rss0) / float64(liveBytes)
		runtime.KeepAlive(live)
	}
	b.ReportMetric(ratio, "retained_per_live")
	b.ReportMetric(rssRatio, "rss_per_live")
}

var shrinkKeep [][]byte

func BenchmarkScavengeAfterShrink(b *testing.B) {
	var secs, retainedPerTarget, rssDrop float64
	for i := 0; i < b.N; i++ {
		prev := debug.SetGCPercent(-1)
		objs := make([][]byte, 0, (256<<20)/4096)
		for n := 0; n < 256<<20; n += 4096 {
			p := make([]byte, 4096)
			for k := range p {
				p[k] = 1
			}
			objs = append(objs, p)
		}
		shrinkKeep = nil
		for k := 0; k < len(objs); k += 10 {
			shrinkKeep = append(shrinkKeep, objs[k])
		}
		objs = nil
		debug.SetGCPercent(100)
		runtime.GC()
		rssBefore := rssBytes()
		t0 := time.Now()
		var ms runtime.MemStats
		target := func() uint64 {
			runtime.ReadMemStats(&ms)
			return ms.NextGC + ms.NextGC/10
		}
		for {
			tg := target()
			if ms.HeapSys-ms.HeapReleased <= tg+(512<<10) || time.Since(t0) > 30*time.Second {
				retainedPerTarget = float64(ms.HeapSys-ms.HeapReleased) / float64(tg)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		secs = time.Since(t0).Seconds()
		if r := rssBytes(); rssBefore > r {
			rssDrop = float64(rssBefore - r)
		}
		shrinkKeep = nil
		debug.SetGCPercent(prev)
	}
	b.ReportMetric(secs, "seconds_to_target")
	b.ReportMetric(retainedPerTarget, "retained_per_target")
	b.ReportMetric(rssDrop, "rss_drop_bytes")
}
