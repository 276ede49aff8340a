// Package gc holds the Go twins of benches/gc_bench.cc (issue 6; claims 303
// and 304): the same names, parameters (key=value for the C++ key:value) and
// metric keys.
//
//	BinaryTrees/depth=D   D in 14 (the quick suite's), 16..21: the Benchmarks
//	                      Game's binary-trees at max depth D
//	                      (stretch tree D+1, a long-lived tree D, then trees of
//	                      depth 4, 6, ... D, 2^(D-d+4) of each), sequential:
//	                      one mutator goroutine. One op = the whole program.
//	GCBench               Boehm–Ellis GCBench (stretch tree 18, long-lived tree
//	                      16, an array of 500,000 float64, top-down and
//	                      bottom-up trees of depth 4..16). One op = the program.
//	GCChurn/live_mib=L/procs=2
//	                      steady-state churn: a live heap of L MiB (chains of
//	                      four 64-byte objects, one per slot of a pointer
//	                      array) that two goroutines keep replacing, slot by
//	                      slot, at GOMAXPROCS=2, for 1 s (L=16) or 5 s
//	                      (L=256). ns/op = wall time per chain replaced (both
//	                      goroutines together).
//	WriteBarrier/barrier=off|on
//	                      one pointer store into a heap slot. off: GOGC=off,
//	                      no cycle runs. on: a 64 MiB pointer-dense live heap
//	                      and a forced cycle marking it while the stores run.
//	ReadMemStats/heap_mib=256, MetricsRead/heap_mib=256
//	                      runtime.ReadMemStats vs metrics.Read of a fixed set
//	                      of samples (the fields gort's gc::Metrics has), with
//	                      256 MiB live (64 KiB pointer-free blocks).
//	GCGoalSweep/gogc=G/procs=2
//	                      G in 25, 50, 100, 200, 400: the churn of GCChurn with
//	                      64 MiB live and 1 GiB allocated in total.
//
// Per-phase pauses. runtime/metrics has one pause histogram for all GC
// pauses, so GCChurn and GCGoalSweep run their workload in a child process
// (this test binary re-executed with GODEBUG=gctrace=1) and parse its gctrace
// lines: "A+B+C ms clock" gives the sweep-termination and mark-termination
// stop-the-world times (A and C: from the runtime's stop request to the
// restart, two significant digits) of each cycle; "X->Y->Z MB, G MB goal" the
// heap at the start of the cycle, at mark termination and marked live, and
// the goal; "a+b/c/d+e ms cpu" the mark CPU (assist/background/idle). Only
// cycles that ended inside the measured window are used. gc_cpu_fraction and
// assist_share come from runtime/metrics' /cpu/classes/gc/... (as of the last
// mark termination), measured inside the child over the same window.
//
// Metrics (GCChurn, GCGoalSweep): sweep_term_p50_ns/_p99_ns/_max_ns,
// mark_term_p50_ns/_p99_ns/_max_ns, cycles, gc_cpu_fraction, assist_share,
// peak_heap_per_goal (max over cycles of heap at mark termination / goal),
// peak_heap_bytes, goal_bytes and live_bytes (medians over cycles),
// goal_per_live, mark_mb_per_cpu_s (bytes marked live / mark CPU, MB = 1e6
// bytes), steps_per_s, alloc_bytes_per_s, window_s, procs.
//
// Run: cd benches/go && go test -run '^$' -bench . -benchtime 1x ./gc/
package gc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// ---- harness markers --------------------------------------------------------

// traceOn: GODEBUG has gctrace=1 (the harness sets it for the GC
// benchmarks and keeps every cycle from stderr; harness/src/bench_output.cc,
// parse_gc_trace).
var traceOn = strings.Contains(os.Getenv("GODEBUG"), "gctrace=1")

// traceMarker prints one of the harness's marker lines among the gctrace
// lines on stderr: "gort-bench run" when a run of a benchmark function
// starts, "gort-bench window begin|end" around the measured part, so the
// harness can tell setup and earlier runs from the measured cycles.
func traceMarker(line string) {
	if traceOn {
		os.Stderr.WriteString(line + "\n")
	}
}

// ---- BinaryTrees ------------------------------------------------------------

type node struct{ left, right *node }

func bottomUp(depth int) *node {
	if depth <= 0 {
		return &node{}
	}
	return &node{bottomUp(depth - 1), bottomUp(depth - 1)}
}

func (n *node) check() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.check() + n.right.check()
}

// binaryTrees runs the program for maxDepth and returns the sum of its checks.
func binaryTrees(maxDepth int) int {
	const minDepth = 4
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	sum := bottomUp(maxDepth + 1).check()
	longLived := bottomUp(maxDepth)
	for d := minDepth; d <= maxDepth; d += 2 {
		iters := 1 << (maxDepth - d + minDepth)
		check := 0
		for i := 0; i < iters; i++ {
			check += bottomUp(d).check()
		}
		sum += check
	}
	return sum + longLived.check()
}

func BenchmarkBinaryTrees(b *testing.B) {
	for _, d := range []int{14, 16, 17, 18, 19, 20, 21} {
		b.Run(fmt.Sprintf("depth=%d", d), func(b *testing.B) {
			traceMarker("gort-bench run")
			runtime.GC()
			c0 := gcCycles()
			b.ResetTimer()
			sum := 0
			traceMarker("gort-bench window begin")
			for i := 0; i < b.N; i++ {
				sum = binaryTrees(d)
			}
			traceMarker("gort-bench window end")
			b.StopTimer()
			b.ReportMetric(float64(gcCycles()-c0)/float64(b.N), "gc_cycles_per_op")
			b.ReportMetric(float64(sum), "checksum")
		})
	}
}

// ---- GCBench (Boehm–Ellis) ---------------------------------------------------

type gnode struct {
	left, right *gnode
	i, j        int32
}

const (
	stretchDepth   = 18
	longLivedDepth = 16
	arraySize      = 500000
	minTreeDepth   = 4
	maxTreeDepth   = 16
)

func treeSize(i int) int { return (1 << (i + 1)) - 1 }
func numIters(i int) int { return 2 * treeSize(stretchDepth) / treeSize(i) }

// populate builds a tree top-down.
func populate(depth int, n *gnode) {
	if depth <= 0 {
		return
	}
	depth--
	n.left, n.right = &gnode{}, &gnode{}
	populate(depth, n.left)
	populate(depth, n.right)
}

// makeTree builds a tree bottom-up.
func makeTree(depth int) *gnode {
	if depth <= 0 {
		return &gnode{}
	}
	return &gnode{left: makeTree(depth - 1), right: makeTree(depth - 1)}
}

var gsink *gnode

func gcBench() bool {
	gsink = makeTree(stretchDepth)
	gsink = nil
	longLived := &gnode{}
	populate(longLivedDepth, longLived)
	array := make([]float64, arraySize)
	for i := 1; i < arraySize/2; i++ {
		array[i] = 1.0 / float64(i)
	}
	for d := minTreeDepth; d <= maxTreeDepth; d += 2 {
		iters := numIters(d)
		for i := 0; i < iters; i++ {
			t := &gnode{}
			populate(d, t)
			gsink = t
		}
		for i := 0; i < iters; i++ {
			gsink = makeTree(d)
		}
	}
	gsink = nil
	ok := longLived.left != nil && array[1000] == 1.0/1000
	runtime.KeepAlive(longLived)
	return ok
}

func BenchmarkGCBench(b *testing.B) {
	traceMarker("gort-bench run")
	runtime.GC()
	c0 := gcCycles()
	b.ResetTimer()
	traceMarker("gort-bench window begin")
	for i := 0; i < b.N; i++ {
		if !gcBench() {
			b.Fatal("GCBench: long-lived data lost")
		}
	}
	traceMarker("gort-bench window end")
	b.StopTimer()
	b.ReportMetric(float64(gcCycles()-c0)/float64(b.N), "gc_cycles_per_op")
}

// ---- churn (GCChurn, GCGoalSweep) ----------------------------------------------

// obj is 64 bytes with two pointer words; a chain of chainLen of them hangs
// off each slot.
type obj struct {
	next, other *obj
	pad         [6]uint64
}

const (
	chainLen   = 4
	chainBytes = chainLen * 64
)

func newChain(seed uint64) *obj {
	var head *obj
	for i := 0; i < chainLen; i++ {
		o := &obj{next: head}
		if head != nil {
			o.other = head.next
		}
		o.pad[0] = seed
		head = o
	}
	return head
}

// churnParams is what the parent passes to the child (GORT_GC_CHILD, JSON).
type churnParams struct {
	LiveMiB int     `json:"live_mib"`
	Seconds float64 `json:"seconds"` // window length, or
	Bytes   int64   `json:"bytes"`   // total bytes to allocate (when > 0)
	Workers int     `json:"workers"`
}

// churnResult is what the child prints on stdout (one JSON line).
type churnResult struct {
	C0        uint64  `json:"c0"` // cycles completed before the window
	C1        uint64  `json:"c1"` // and after it
	Steps     int64   `json:"steps"`
	Secs      float64 `json:"secs"`
	GCCPU     float64 `json:"gc_cpu_s"`
	AssistCPU float64 `json:"assist_cpu_s"`
	TotalCPU  float64 `json:"total_cpu_s"`
	Procs     int     `json:"procs"`
	GOGC      int     `json:"gogc"`
}

var cpuSamples = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
}

func readCPU() (cycles uint64, gc, assist, total float64) {
	s := make([]metrics.Sample, len(cpuSamples))
	for i, n := range cpuSamples {
		s[i].Name = n
	}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Float64(), s[2].Value.Float64(), s[3].Value.Float64()
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// runChurn is the child's workload.
func runChurn(p churnParams) churnResult {
	nslots := (p.LiveMiB << 20) / chainBytes
	slots := make([]*obj, nslots)
	for i := range slots {
		slots[i] = newChain(uint64(i))
	}
	runtime.GC()
	var r churnResult
	r.Procs = runtime.GOMAXPROCS(0)
	r.GOGC = debug.SetGCPercent(-1)
	debug.SetGCPercent(r.GOGC)
	var g0, a0, t0 float64
	r.C0, g0, a0, t0 = readCPU()
	traceMarker("gort-bench window begin")
	per := nslots / p.Workers
	stepsPerWorker := int64(0)
	if p.Bytes > 0 {
		stepsPerWorker = p.Bytes / chainBytes / int64(p.Workers)
	}
	steps := make([]int64, p.Workers)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(time.Duration(p.Seconds * float64(time.Second)))
	for w := 0; w < p.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			base := w * per
			x := uint64(w)*0x9E3779B97F4A7C15 + 1
			n := int64(0)
			for {
				for k := 0; k < 256; k++ {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					slots[base+int(x%uint64(per))] = newChain(x)
				}
				n += 256
				if stepsPerWorker > 0 {
					if n >= stepsPerWorker {
						break
					}
				} else if time.Now().After(deadline) {
					break
				}
			}
			steps[w] = n
		}(w)
	}
	wg.Wait()
	r.Secs = time.Since(start).Seconds()
	var g1, a1, t1 float64
	r.C1, g1, a1, t1 = readCPU()
	traceMarker("gort-bench window end")
	r.GCCPU, r.AssistCPU, r.TotalCPU = g1-g0, a1-a0, t1-t0
	for _, n := range steps {
		r.Steps += n
	}
	runtime.KeepAlive(slots)
	return r
}

// traceCycle is one parsed gctrace line.
type traceCycle struct {
	n                         uint64
	sweepTermNs, markTermNs   float64
	markCPUNs                 float64 // assist + background + idle
	heap0, heap1, heap2, goal float64 // bytes
}

var traceRE = regexp.MustCompile(`^gc (\d+) @[0-9.]+s \d+%: ([0-9.]+)\+([0-9.]+)\+([0-9.]+) ms clock, ` +
	`([0-9.]+)\+([0-9.]+)/([0-9.]+)/([0-9.]+)\+([0-9.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

func parseTrace(stderr []byte) []traceCycle {
	var out []traceCycle
	sc := bufio.NewScanner(bytes.NewReader(stderr))
	for sc.Scan() {
		m := traceRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := func(i int) float64 { v, _ := strconv.ParseFloat(m[i], 64); return v }
		n, _ := strconv.ParseUint(m[1], 10, 64)
		out = append(out, traceCycle{
			n:           n,
			sweepTermNs: f(2) * 1e6,
			markTermNs:  f(4) * 1e6,
			markCPUNs:   (f(6) + f(7) + f(8)) * 1e6,
			heap0:       f(10) * (1 << 20),
			heap1:       f(11) * (1 << 20),
			heap2:       f(12) * (1 << 20),
			goal:        f(13) * (1 << 20),
		})
	}
	return out
}

// quantile is the nearest-rank quantile of v (q in [0,1]); v is sorted here.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	rank := int(math.Ceil(q * float64(len(v))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(v) {
		rank = len(v)
	}
	return v[rank-1]
}

func median(v []float64) float64 { return quantile(append([]float64(nil), v...), 0.5) }

// runChild re-executes this test binary as the churn child and returns its
// result and gctrace cycles within the window.
func runChild(b *testing.B, p churnParams, env []string) (churnResult, []traceCycle) {
	js, _ := json.Marshal(p)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "GORT_GC_CHILD="+string(js), "GODEBUG=gctrace=1")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("churn child: %v\n%s", err, stderr.String())
	}
	if traceOn {
		// The child's gctrace lines and window markers, for the harness.
		os.Stderr.Write(stderr.Bytes())
	}
	var r churnResult
	line := strings.TrimSpace(stdout.String())
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		b.Fatalf("churn child output %q: %v", line, err)
	}
	var in []traceCycle
	for _, c := range parseTrace(stderr.Bytes()) {
		if c.n > r.C0 && c.n <= r.C1 {
			in = append(in, c)
		}
	}
	return r, in
}

// reportChurn turns the child's figures into the shared metric keys.
func reportChurn(b *testing.B, r churnResult, cs []traceCycle) {
	var sw, mk, heap1, goal, live []float64
	peak, peakPerGoal, marked, markCPU := 0.0, 0.0, 0.0, 0.0
	for _, c := range cs {
		sw = append(sw, c.sweepTermNs)
		mk = append(mk, c.markTermNs)
		heap1 = append(heap1, c.heap1)
		goal = append(goal, c.goal)
		live = append(live, c.heap2)
		peak = math.Max(peak, c.heap1)
		if c.goal > 0 {
			peakPerGoal = math.Max(peakPerGoal, c.heap1/c.goal)
		}
		marked += c.heap2
		markCPU += c.markCPUNs
	}
	if r.Steps > 0 {
		b.ReportMetric(r.Secs*1e9/float64(r.Steps), "ns/op") // overrides the 1x wall time
	}
	b.ReportMetric(float64(len(cs)), "cycles")
	if len(cs) > 0 {
		for _, q := range []struct {
			name string
			q    float64
		}{{"p50", 0.5}, {"p99", 0.99}, {"max", 1}} {
			b.ReportMetric(quantile(sw, q.q), "sweep_term_"+q.name+"_ns")
			b.ReportMetric(quantile(mk, q.q), "mark_term_"+q.name+"_ns")
		}
		b.ReportMetric(peakPerGoal, "peak_heap_per_goal")
		b.ReportMetric(peak, "peak_heap_bytes")
		b.ReportMetric(median(goal), "goal_bytes")
		b.ReportMetric(median(live), "live_bytes")
		if m := median(live); m > 0 {
			b.ReportMetric(median(goal)/m, "goal_per_live")
		}
		if markCPU > 0 {
			b.ReportMetric(marked/1e6/(markCPU/1e9), "mark_mb_per_cpu_s")
		}
	}
	if r.TotalCPU > 0 {
		b.ReportMetric(r.GCCPU/r.TotalCPU, "gc_cpu_fraction")
	}
	if r.GCCPU > 0 {
		b.ReportMetric(r.AssistCPU/r.GCCPU, "assist_share")
	}
	if r.Secs > 0 {
		b.ReportMetric(float64(r.Steps)/r.Secs, "steps_per_s")
		b.ReportMetric(float64(r.Steps)*chainBytes/r.Secs, "alloc_bytes_per_s")
	}
	b.ReportMetric(r.Secs, "window_s")
	b.ReportMetric(float64(r.Procs), "procs")
}

func BenchmarkGCChurn(b *testing.B) {
	for _, c := range []struct {
		live int
		secs float64
	}{{16, 1}, {256, 5}} {
		b.Run(fmt.Sprintf("live_mib=%d/procs=2", c.live), func(b *testing.B) {
			traceMarker("gort-bench run")
			var r churnResult
			var cs []traceCycle
			for i := 0; i < b.N; i++ {
				r, cs = runChild(b, churnParams{LiveMiB: c.live, Seconds: c.secs, Workers: 2}, []string{"GOMAXPROCS=2"})
			}
			reportChurn(b, r, cs)
		})
	}
}

func BenchmarkGCGoalSweep(b *testing.B) {
	for _, g := range []int{25, 50, 100, 200, 400} {
		b.Run(fmt.Sprintf("gogc=%d/procs=2", g), func(b *testing.B) {
			traceMarker("gort-bench run")
			var r churnResult
			var cs []traceCycle
			for i := 0; i < b.N; i++ {
				r, cs = runChild(b, churnParams{LiveMiB: 64, Bytes: 1 << 30, Workers: 2},
					[]string{"GOMAXPROCS=2", "GOGC=" + strconv.Itoa(g)})
			}
			reportChurn(b, r, cs)
			b.ReportMetric(float64(r.GOGC), "gogc")
		})
	}
}

// TestMain runs the churn child when GORT_GC_CHILD is set.
func TestMain(m *testing.M) {
	if js := os.Getenv("GORT_GC_CHILD"); js != "" {
		var p churnParams
		if err := json.Unmarshal([]byte(js), &p); err != nil {
			fmt.Fprintln(os.Stderr, "GORT_GC_CHILD:", err)
			os.Exit(2)
		}
		out, _ := json.Marshal(runChurn(p))
		fmt.Println(string(out))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ---- WriteBarrier ----------------------------------------------------------------

const (
	wbSlots = 1 << 12 // destination slots (32 KiB of pointers, in cache)
	wbRound = 2048    // stores between checks of the GC's state (untimed)
)

var (
	wbOnce sync.Once
	wbLive []*obj // the 64 MiB pointer-dense live heap marked during "on"
	wbDst  []*obj // package-level: the slots are in the heap, so stores run the barrier
)

func BenchmarkWriteBarrier(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("barrier="+mode, func(b *testing.B) {
			on := mode == "on"
			prev := debug.SetGCPercent(-1) // only the cycles forced below run
			defer debug.SetGCPercent(prev)
			if on {
				wbOnce.Do(func() {
					wbLive = make([]*obj, (64<<20)/chainBytes)
					for i := range wbLive {
						wbLive[i] = newChain(uint64(i))
					}
				})
			}
			runtime.GC()
			wbDst = make([]*obj, wbSlots)
			dst := wbDst
			src := make([]*obj, wbSlots)
			for i := range src {
				src[i] = &obj{}
			}
			var done chan struct{}
			startCycle := func() {
				done = make(chan struct{})
				started := make(chan struct{})
				go func() {
					close(started)
					runtime.GC()
					close(done)
				}()
				<-started
				time.Sleep(2 * time.Millisecond) // sweep termination is µs after the call
			}
			var c0 uint64
			if on {
				c0 = gcCycles()
				startCycle()
			}
			var timed time.Duration
			rounds, roundsEnded, cycles := 0, 0, 0
			i := 0
			for i < b.N {
				n := wbRound
				if b.N-i < n {
					n = b.N - i
				}
				t := time.Now()
				for k := 0; k < n; k++ {
					j := i + k
					dst[j&(wbSlots-1)] = src[(j*7)&(wbSlots-1)]
				}
				timed += time.Since(t)
				i += n
				rounds++
				if on {
					// A finished mark shows as a completed cycle: that round
					// ran partly without the barrier; start the next cycle.
					if c := gcCycles(); c != c0 {
						roundsEnded++
						<-done
						cycles++
						c0 = c
						if i < b.N {
							startCycle()
						}
					}
				}
			}
			if on && done != nil {
				<-done
			}
			runtime.KeepAlive(dst)
			b.ReportMetric(float64(timed.Nanoseconds())/float64(b.N), "ns/op")
			b.ReportMetric(float64(rounds), "rounds")
			if on {
				b.ReportMetric(1-float64(roundsEnded)/float64(rounds), "rounds_in_mark")
				b.ReportMetric(float64(cycles), "cycles")
			}
		})
	}
}

// ---- ReadMemStats vs MetricsRead ----------------------------------------------------

var (
	heapOnce sync.Once
	heap256  [][]byte
)

// build256 makes 256 MiB live once per process: 64 KiB pointer-free blocks
// (what is in the heap does not change what the two reads do; few
// pointer-free blocks keep the set-up short).
func build256() {
	heapOnce.Do(func() {
		n := (256 << 20) / (64 << 10)
		heap256 = make([][]byte, n)
		for i := range heap256 {
			heap256[i] = make([]byte, 64<<10)
		}
		runtime.GC()
	})
}

// gortMetrics is the sample set gort's gc::read_metrics fills.
var gortMetrics = []string{
	"/gc/cycles/total:gc-cycles",
	"/gc/cycles/forced:gc-cycles",
	"/gc/heap/live:bytes",
	"/gc/heap/goal:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/gc/scan/globals:bytes",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds",
	"/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/gc/gogc:percent",
	"/gc/gomemlimit:bytes",
	"/gc/limiter/last-enabled:gc-cycle",
	"/sched/pauses/total/gc:seconds",
}

func BenchmarkReadMemStats(b *testing.B) {
	b.Run("heap_mib=256", func(b *testing.B) {
		build256()
		var ms runtime.MemStats
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			runtime.ReadMemStats(&ms)
		}
		b.StopTimer()
		b.ReportMetric(float64(ms.HeapAlloc), "heap_alloc_bytes")
	})
}

func BenchmarkMetricsRead(b *testing.B) {
	b.Run("heap_mib=256", func(b *testing.B) {
		build256()
		s := make([]metrics.Sample, len(gortMetrics))
		for i, n := range gortMetrics {
			s[i].Name = n
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			metrics.Read(s)
		}
		b.StopTimer()
		b.ReportMetric(float64(len(s)), "samples")
		b.ReportMetric(float64(s[2].Value.Uint64()), "heap_live_bytes")
	})
}
