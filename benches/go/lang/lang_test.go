// Package langbench holds the Go twins of benches/lang_bench.cc: the same
// benchmark names, parameters, units and counters, with Go's own maps,
// slices, interfaces, reflection, defer and panic. See lang_bench.cc for
// what each one measures.
//
// Run: cd benches/go && go test -run '^$' -bench . -count 5 ./lang/
// TestGrowthSequence prints the append capacity sequences that
// runtime/tests/slice_test.cc checks in.
package langbench

import (
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const kKeys = 1 << 20

var sink int64

// perElement reports ns/op per element processed: these benchmarks work in
// whole rounds of N elements, as their C++ twins (KeepRunningBatch) do.
func perElement(b *testing.B, elements int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(elements), "ns/op")
}

// ---- maps -------------------------------------------------------------

func BenchmarkMapInsertInt64(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		m := map[int64]int64{}
		k := int64(0)
		for i := 0; i < b.N; i++ {
			m[k] = k
			k++
			if k == kKeys {
				b.StopTimer()
				m = map[int64]int64{}
				k = 0
				b.StartTimer()
			}
		}
	})
}

func filled(n int64) map[int64]int64 {
	m := map[int64]int64{}
	for i := int64(0); i < n; i++ {
		m[i] = i
	}
	return m
}

func BenchmarkMapLookupHitInt64(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		m := filled(kKeys)
		b.ResetTimer()
		k, sum := int64(0), int64(0)
		for i := 0; i < b.N; i++ {
			sum += m[k]
			k++
			if k == kKeys {
				k = 0
			}
		}
		sink = sum
	})
}

func BenchmarkMapLookupMissInt64(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		m := filled(kKeys)
		b.ResetTimer()
		k, sum := int64(kKeys), int64(0)
		for i := 0; i < b.N; i++ {
			sum += m[k]
			k++
			if k == 2*kKeys {
				k = kKeys
			}
		}
		sink = sum
	})
}

func BenchmarkMapDeleteInt64(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		m := filled(kKeys)
		b.ResetTimer()
		k := int64(0)
		for i := 0; i < b.N; i++ {
			delete(m, k)
			k++
			if k == kKeys {
				b.StopTimer()
				m = filled(kKeys)
				k = 0
				b.StartTimer()
			}
		}
	})
}

func BenchmarkMapIterateInt64(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		m := filled(kKeys)
		b.ResetTimer()
		sum := int64(0)
		done := 0
		for done < b.N {
			for _, v := range m {
				sum += v
			}
			done += kKeys
		}
		sink = sum
		perElement(b, done)
	})
}

func stringKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%011d", i) // 16 bytes
	}
	return keys
}

func BenchmarkMapInsertString16(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		keys := stringKeys(kKeys)
		m := map[string]int64{}
		b.ResetTimer()
		k := 0
		for i := 0; i < b.N; i++ {
			m[keys[k]] = int64(k)
			k++
			if k == kKeys {
				b.StopTimer()
				m = map[string]int64{}
				k = 0
				b.StartTimer()
			}
		}
	})
}

func BenchmarkMapLookupString16(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		keys := stringKeys(kKeys)
		m := map[string]int64{}
		for i, k := range keys {
			m[k] = int64(i)
		}
		b.ResetTimer()
		k, sum := 0, int64(0)
		for i := 0; i < b.N; i++ {
			sum += m[keys[k]]
			k++
			if k == kKeys {
				k = 0
			}
		}
		sink = sum
	})
}

// BenchmarkMapWorstInsert: as the C++ twin, 3 rounds of the same inserts;
// max_insert_ns is the max over inserts of the per-insert minimum.
func BenchmarkMapWorstInsert(b *testing.B) {
	b.Run(fmt.Sprintf("keys=%d", kKeys), func(b *testing.B) {
		const rounds = 3
		lat := make([]int64, kKeys)
		best := make([]int64, kKeys)
		for i := range best {
			best[i] = 1 << 62
		}
		raw := int64(0)
		for r := 0; r < rounds; r++ {
			m := map[int64]int64{}
			for i := int64(0); i < kKeys; i++ {
				t0 := time.Now()
				m[i] = i
				lat[i] = int64(time.Since(t0))
			}
			for i, l := range lat {
				if l < best[i] {
					best[i] = l
				}
				if l > raw {
					raw = l
				}
			}
		}
		sort.Slice(best, func(i, j int) bool { return best[i] < best[j] })
		perElement(b, rounds*kKeys)
		b.ReportMetric(float64(best[kKeys-1]), "max_insert_ns")
		b.ReportMetric(float64(best[kKeys*999/1000]), "p999_insert_ns")
		b.ReportMetric(float64(raw), "raw_max_insert_ns")
	})
}

func BenchmarkMapFlooding(b *testing.B) {
	// Same keys as the C++ side: multiples of libstdc++'s bucket count for
	// 16384 reserved entries (16411).
	const n, stride = 16384, 16411
	b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
		done := 0
		for done < b.N {
			m := map[int64]int64{}
			for i := int64(0); i < n; i++ {
				m[i*stride] = i
			}
			sink += int64(len(m))
			done += n
		}
		perElement(b, done)
		b.ReportMetric(stride, "stride")
	})
}

// ---- slices -------------------------------------------------------------

func appendBench(b *testing.B, pregrow bool) {
	b.Run(fmt.Sprintf("elems=%d", kKeys), func(b *testing.B) {
		reallocs, copied, rounds := 0, 0, 0
		done := 0
		for done < b.N {
			var s []int64
			if pregrow {
				s = make([]int64, 0, kKeys)
			}
			c := cap(s)
			for i := int64(0); i < kKeys; i++ {
				if len(s) == cap(s) {
					copied += len(s) * 8
				}
				s = append(s, i)
				if cap(s) != c {
					reallocs++
					c = cap(s)
				}
			}
			sink += s[len(s)-1]
			rounds++
			done += kKeys
		}
		perElement(b, done)
		b.ReportMetric(float64(reallocs)/float64(rounds), "reallocs")
		b.ReportMetric(float64(copied)/float64(rounds), "bytes_copied")
	})
}

func BenchmarkAppendInt64(b *testing.B)     { appendBench(b, false) }
func BenchmarkAppendInt64Grow(b *testing.B) { appendBench(b, true) }

var byteSink []byte

func BenchmarkMakeZeroed(b *testing.B) {
	for _, n := range []int{64, 1024, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("bytes=%d", n), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				byteSink = make([]byte, n)
			}
		})
	}
}

// ---- stack vs heap (claim 314) -----------------------------------------

type obj64 struct{ a [8]int64 }

//go:noinline
func use(o *obj64) int64 { return o.a[0] + o.a[7] }

var objSink *obj64

func BenchmarkValueOnStack(b *testing.B) {
	sum := int64(0)
	for i := 0; i < b.N; i++ {
		var o obj64 // does not escape: use() does not keep it
		o.a[0] = sum
		sum += use(&o)
	}
	sink = sum
}

func BenchmarkValueOnHeapGC(b *testing.B) {
	sum := int64(0)
	for i := 0; i < b.N; i++ {
		o := new(obj64)
		objSink = o // escapes
		o.a[0] = sum
		sum += use(o)
	}
	sink = sum
}

// ---- interfaces (claim 320) ---------------------------------------------

type Adder interface{ Add(d int64) int64 }

type Counter struct{ n int64 }

//go:noinline
func (c *Counter) Add(d int64) int64 { c.n += d; return c.n }

func BenchmarkInterfaceCall(b *testing.B) {
	var a Adder = &Counter{}
	s := int64(0)
	for i := 0; i < b.N; i++ {
		s += a.Add(1)
	}
	sink = s
}

func BenchmarkDirectCall(b *testing.B) {
	c := &Counter{}
	s := int64(0)
	for i := 0; i < b.N; i++ {
		s += c.Add(1)
	}
	sink = s
}

var anySink any = 7
var anyStr any = "x"

func BenchmarkTypeAssertHit(b *testing.B) {
	x := anySink
	s := int64(0)
	for i := 0; i < b.N; i++ {
		if v, ok := x.(int); ok {
			s += int64(v)
		}
	}
	sink = s
}

func BenchmarkTypeAssertMiss(b *testing.B) {
	x := anyStr
	s := int64(0)
	for i := 0; i < b.N; i++ {
		if v, ok := x.(int); ok {
			s += int64(v)
		} else {
			s++
		}
	}
	sink = s
}

var anyCounter any = &Counter{}

func BenchmarkTypeAssertIfaceHit(b *testing.B) {
	x := anyCounter
	s := int64(0)
	for i := 0; i < b.N; i++ {
		if _, ok := x.(Adder); ok {
			s++
		}
	}
	sink = s
}

func BenchmarkTypeAssertIfaceMiss(b *testing.B) {
	x := anyStr
	s := int64(0)
	for i := 0; i < b.N; i++ {
		if _, ok := x.(Adder); !ok {
			s++
		}
	}
	sink = s
}

// ---- reflection (claim 318) ---------------------------------------------

type Rec struct {
	Name  string
	Age   int
	Score int
}

func BenchmarkReflectFieldRead(b *testing.B) {
	r := &Rec{"x", 3, 4}
	v := reflect.ValueOf(r).Elem()
	s := int64(0)
	for i := 0; i < b.N; i++ {
		s += v.FieldByName("Score").Int()
	}
	sink = s
}

func BenchmarkDirectFieldRead(b *testing.B) {
	r := &Rec{"x", 3, 4}
	s := int64(0)
	for i := 0; i < b.N; i++ {
		s += int64(r.Score)
	}
	sink = s
}

// ---- value vs pointer (claim 316) ---------------------------------------

type blob8 struct{ w [1]int64 }
type blob64 struct{ w [8]int64 }
type blob512 struct{ w [64]int64 }
type blob4096 struct{ w [512]int64 }

//go:noinline
func byValue8(b blob8) int64 { return b.w[0] + b.w[0] }

//go:noinline
func byPointer8(b *blob8) int64 { return b.w[0] + b.w[0] }

//go:noinline
func byValue64(b blob64) int64 { return b.w[0] + b.w[7] }

//go:noinline
func byPointer64(b *blob64) int64 { return b.w[0] + b.w[7] }

//go:noinline
func byValue512(b blob512) int64 { return b.w[0] + b.w[63] }

//go:noinline
func byPointer512(b *blob512) int64 { return b.w[0] + b.w[63] }

//go:noinline
func byValue4096(b blob4096) int64 { return b.w[0] + b.w[511] }

//go:noinline
func byPointer4096(b *blob4096) int64 { return b.w[0] + b.w[511] }

func BenchmarkPassByValue(b *testing.B) {
	b.Run("bytes=8", func(b *testing.B) {
		var x blob8
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byValue8(x)
		}
		sink = s
	})
	b.Run("bytes=64", func(b *testing.B) {
		var x blob64
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byValue64(x)
		}
		sink = s
	})
	b.Run("bytes=512", func(b *testing.B) {
		var x blob512
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byValue512(x)
		}
		sink = s
	})
	b.Run("bytes=4096", func(b *testing.B) {
		var x blob4096
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byValue4096(x)
		}
		sink = s
	})
}

func BenchmarkPassByPointer(b *testing.B) {
	b.Run("bytes=8", func(b *testing.B) {
		var x blob8
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byPointer8(&x)
		}
		sink = s
	})
	b.Run("bytes=64", func(b *testing.B) {
		var x blob64
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byPointer64(&x)
		}
		sink = s
	})
	b.Run("bytes=512", func(b *testing.B) {
		var x blob512
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byPointer512(&x)
		}
		sink = s
	})
	b.Run("bytes=4096", func(b *testing.B) {
		var x blob4096
		s := int64(0)
		for i := 0; i < b.N; i++ {
			x.w[0] = s
			s += byPointer4096(&x)
		}
		sink = s
	})
}

// ---- defer / panic (claim 317) -------------------------------------------

var counter int64

//go:noinline
func bump() { counter++ }

//go:noinline
func withDefer() { defer bump() }

//go:noinline
func withoutDefer() { bump() }

func BenchmarkDeferCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		withDefer()
	}
}

func BenchmarkPlainCall(b *testing.B) {
	for i := 0; i < b.N; i++ {
		withoutDefer()
	}
}

//go:noinline
func panicAndRecover() {
	defer func() { anySink = recover() }()
	panic(1)
}

func BenchmarkPanicRecover(b *testing.B) {
	for i := 0; i < b.N; i++ {
		panicAndRecover()
	}
}

// ---- memory model litmus tests (claim 313) --------------------------------

const kLitmus = 256

func spinUntil(cond func() bool) {
	for n := 1; !cond(); n++ {
		if n%64 == 0 {
			runtime.Gosched()
		}
	}
}

var mpData [kLitmus]int64

func litmusMP() int64 {
	for i := range mpData {
		mpData[i] = 0
	}
	c := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for i := 0; i < kLitmus; i++ {
			mpData[i] = int64(i + 1) // plain store, published by the send
			c <- i
		}
		wg.Done()
	}()
	bad := int64(0)
	for i := 0; i < kLitmus; i++ {
		j := <-c
		if mpData[j] != int64(j+1) {
			bad++
		}
	}
	wg.Wait()
	return bad
}

type litmusCell struct {
	v int32
	_ [60]byte
}

var (
	sbX, sbY     [kLitmus]litmusCell
	sbR1, sbR2   [kLitmus]int32
	progA, progB atomic.Int32
	sbMu         sync.Mutex
)

// litmusSB: store buffering with or without a mutex. Without it the plain
// accesses race by design (that is the claim's point); Go's atomics are
// sequentially consistent, so they would hide the reordering.
func litmusSB(locked bool) int64 {
	for i := range sbX {
		sbX[i].v, sbY[i].v = 0, 0
	}
	progA.Store(0)
	progB.Store(0)
	side := func(mine, other *[kLitmus]litmusCell, r *[kLitmus]int32, my, their *atomic.Int32) {
		for i := 0; i < kLitmus; i++ {
			spinUntil(func() bool { return their.Load() >= int32(i) })
			if locked {
				sbMu.Lock()
			}
			mine[i].v = 1
			r[i] = other[i].v
			if locked {
				sbMu.Unlock()
			}
			my.Store(int32(i + 1))
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { side(&sbX, &sbY, &sbR1, &progA, &progB); wg.Done() }()
	go func() { side(&sbY, &sbX, &sbR2, &progB, &progA); wg.Done() }()
	wg.Wait()
	n := int64(0)
	for i := 0; i < kLitmus; i++ {
		if sbR1[i] == 0 && sbR2[i] == 0 {
			n++
		}
	}
	return n
}

func BenchmarkMemoryModelLitmus(b *testing.B) {
	var violations, unsync, iters int64
	for i := 0; i < b.N; i++ {
		violations += litmusMP()
		violations += litmusSB(true)
		unsync += litmusSB(false)
		iters += kLitmus
	}
	b.ReportMetric(float64(violations), "violations")
	b.ReportMetric(float64(unsync), "unsync_violations")
	b.ReportMetric(float64(iters), "iterations")
}

// ---- method sets (claim 315) ------------------------------------------------

type msT struct{ v int }

func (t msT) Get() int   { return t.v }
func (t *msT) Set(x int) { t.v = x }

type Getter interface{ Get() int }
type Setter interface{ Set(int) }
type GetSetter interface {
	Get() int
	Set(int)
}

//go:noinline
func methodSetFailures() int {
	fail := 0
	check := func(got, want bool) {
		if got != want {
			fail++
		}
	}
	t := reflect.TypeOf(msT{})
	pt := reflect.TypeOf(&msT{})
	check(t.NumMethod() == 1 && t.Method(0).Name == "Get", true)
	check(pt.NumMethod() == 2 && pt.Method(0).Name == "Get" && pt.Method(1).Name == "Set", true)
	_, ok := t.MethodByName("Get")
	check(ok, true)
	_, ok = t.MethodByName("Set")
	check(ok, false)
	_, ok = pt.MethodByName("Get")
	check(ok, true)
	_, ok = pt.MethodByName("Set")
	check(ok, true)
	getter := reflect.TypeOf((*Getter)(nil)).Elem()
	setter := reflect.TypeOf((*Setter)(nil)).Elem()
	getSetter := reflect.TypeOf((*GetSetter)(nil)).Elem()
	check(t.Implements(getter), true)
	check(t.Implements(setter), false)
	check(t.Implements(getSetter), false)
	check(pt.Implements(getter), true)
	check(pt.Implements(setter), true)
	check(pt.Implements(getSetter), true)
	v := msT{7}
	var xv any = v
	_, ok = xv.(Setter)
	check(ok, false)
	var xp any = &v
	s, ok := xp.(Setter)
	check(ok, true)
	if ok {
		s.Set(9)
	}
	check(v.v == 9, true)
	return fail
}

func BenchmarkMethodSetCheck(b *testing.B) {
	failures := 0
	for i := 0; i < b.N; i++ {
		failures = methodSetFailures()
	}
	b.ReportMetric(float64(failures), "failures")
	b.ReportMetric(15, "cases")
}

// ---- type identity (claim 319) -----------------------------------------------

type idMyInt int
type idOtherInt int

//go:noinline
func typeIdentityFailures() int {
	fail := 0
	check := func(got, want bool) {
		if got != want {
			fail++
		}
	}
	i := reflect.TypeOf(0)
	mi := reflect.TypeOf(idMyInt(0))
	check(mi == i, false)
	check(mi == reflect.TypeOf(idOtherInt(0)), false)
	check(mi == reflect.TypeOf(idMyInt(1)), true)
	check(mi.Kind() == reflect.Int && mi.ConvertibleTo(i), true) // underlying int
	check(reflect.TypeOf([]int{}) == reflect.TypeOf([]int(nil)), true)
	check(reflect.TypeOf([]int{}) == reflect.TypeOf([]idMyInt{}), false)
	check(reflect.TypeOf(map[string]int{}) == reflect.TypeOf(map[string]int(nil)), true)
	check(reflect.TypeOf(map[string]int{}) == reflect.TypeOf(map[string]idMyInt{}), false)
	check(reflect.TypeOf((*int)(nil)) == reflect.TypeOf(new(int)), true)
	check(reflect.TypeOf((*int)(nil)) == reflect.TypeOf((*idMyInt)(nil)), false)
	check(reflect.TypeOf([3]int{}) == reflect.TypeOf([3]int{1}), true)
	check(reflect.TypeOf([3]int{}) == reflect.TypeOf([4]int{}), false)
	// Types made at run time are identical to the compiled ones.
	check(reflect.SliceOf(i) == reflect.TypeOf([]int{}), true)
	check(reflect.SliceOf(mi) == reflect.TypeOf([]int{}), false)
	check(reflect.ArrayOf(3, i) == reflect.TypeOf([3]int{}), true)
	check(reflect.ArrayOf(4, i) == reflect.TypeOf([3]int{}), false)
	return fail
}

func BenchmarkTypeIdentityCheck(b *testing.B) {
	failures := 0
	for i := 0; i < b.N; i++ {
		failures = typeIdentityFailures()
	}
	b.ReportMetric(float64(failures), "failures")
	b.ReportMetric(16, "cases")
}

// ---- growth sequence (checked in by runtime/tests/slice_test.cc) --------

func seq[T any]() []int {
	var s []T
	var z T
	caps := []int{}
	last := -1
	for i := 0; i < 20000; i++ {
		s = append(s, z)
		if cap(s) != last {
			caps = append(caps, cap(s))
			last = cap(s)
		}
	}
	return caps
}

func TestGrowthSequence(t *testing.T) {
	t.Logf("1: %v", seq[byte]())
	t.Logf("8: %v", seq[int64]())
	t.Logf("24: %v", seq[[3]int64]())
	t.Logf("1000: %v", seq[[1000]byte]())
	t.Logf("ptr24: %v", seq[[3]*int]())
	want8 := []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792, 2560, 3408, 5120, 7168, 9216, 12288, 16384, 21504}
	if got := seq[int64](); fmt.Sprint(got) != fmt.Sprint(want8) {
		t.Errorf("int64 growth %v, want %v", got, want8)
	}
}
