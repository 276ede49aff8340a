// Package chanbench holds the Go twins of benches/chan_bench.cc: the same
// benchmark names, parameters (key=v for the C++ key:v) and units, measured
// with the real Go runtime so every ratio is taken side by side.
//
//	ChanPingPong/procs=P          ns per one-way hand-off over two unbuffered
//	                              channels.
//	ChanBuffered/pairs=K/procs=P  K producers, K consumers, one cap-128 chan
//	                              int; ns per element.
//	ChanSelect/cases=N            select over N ready receive cases (closed
//	                              channels); ns per select.
//	ChanSelectDefault             select with default on an empty channel.
//	ChanThreadRing/procs=P        503 goroutines passing a token; ns per pass.
//	ChanSkynet/procs=P            skynet on channels; ns per tree.
//
// Run: cd benches/go && go test -run '^$' -bench . -count 5 ./chan/
package chanbench

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// withProcs sets GOMAXPROCS for the benchmark.
func withProcs(b *testing.B, n int) {
	prev := runtime.GOMAXPROCS(n)
	b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

func BenchmarkChanPingPong(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			ping, pong := make(chan int), make(chan int)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for v := range ping {
					pong <- v
				}
			}()
			b.ResetTimer()
			v := 0
			// One op = one one-way hand-off: a round trip is two.
			for i := 0; i < b.N; i += 2 {
				ping <- v
				v = <-pong + 1
			}
			b.StopTimer()
			close(ping)
			wg.Wait()
		})
	}
}

func BenchmarkChanBuffered(b *testing.B) {
	for _, pp := range [][2]int{{1, 1}, {1, 2}, {4, 2}} {
		pairs, procs := pp[0], pp[1]
		b.Run(fmt.Sprintf("pairs=%d/procs=%d", pairs, procs), func(b *testing.B) {
			withProcs(b, procs)
			per := b.N / pairs
			if per < 1 {
				per = 1
			}
			c := make(chan int, 128)
			sums := make([]int, pairs)
			var wg sync.WaitGroup
			wg.Add(2 * pairs)
			b.ResetTimer()
			for p := 0; p < pairs; p++ {
				go func() {
					defer wg.Done()
					for i := 0; i < per; i++ {
						c <- i
					}
				}()
				go func(p int) {
					defer wg.Done()
					s := 0
					for i := 0; i < per; i++ {
						s += <-c
					}
					sums[p] = s
				}(p)
			}
			wg.Wait()
			b.StopTimer()
			total := 0
			for _, s := range sums {
				total += s
			}
			if total != pairs*(per*(per-1)/2) {
				b.Fatal("lost or duplicated elements")
			}
		})
	}
}

func BenchmarkChanSelect(b *testing.B) {
	for _, n := range []int{2, 4} {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			withProcs(b, 1)
			cs := make([]chan int, 4)
			for i := range cs {
				cs[i] = make(chan int)
				close(cs[i]) // always ready to receive
			}
			var hits [4]int
			b.ResetTimer()
			if n == 2 {
				for i := 0; i < b.N; i++ {
					select {
					case <-cs[0]:
						hits[0]++
					case <-cs[1]:
						hits[1]++
					}
				}
			} else {
				for i := 0; i < b.N; i++ {
					select {
					case <-cs[0]:
						hits[0]++
					case <-cs[1]:
						hits[1]++
					case <-cs[2]:
						hits[2]++
					case <-cs[3]:
						hits[3]++
					}
				}
			}
		})
	}
}

func BenchmarkChanSelectDefault(b *testing.B) {
	withProcs(b, 1)
	c := make(chan int)
	defaults := 0
	for i := 0; i < b.N; i++ {
		select {
		case <-c:
		default:
			defaults++
		}
	}
	if defaults != b.N {
		b.Fatal("a case on an empty channel was chosen")
	}
}

func BenchmarkChanThreadRing(b *testing.B) {
	const ring = 503
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			chans := make([]chan int, ring)
			for i := range chans {
				chans[i] = make(chan int)
			}
			done := make(chan int)
			for i := 0; i < ring; i++ {
				go func(i int, in, out chan int) {
					for {
						t := <-in
						if t < 0 {
							out <- t
							return
						}
						if t == 0 {
							done <- i
						} else {
							out <- t - 1
						}
					}
				}(i, chans[i], chans[(i+1)%ring])
			}
			b.ResetTimer()
			chans[0] <- b.N // one op = one pass
			<-done
			b.StopTimer()
			chans[0] <- -1
			<-chans[0]
		})
	}
}

func skynet(parent chan<- int64, num, size int64) {
	if size == 1 {
		parent <- num
		return
	}
	c := make(chan int64)
	step := size / 10
	for i := int64(0); i < 10; i++ {
		go skynet(c, num+i*step, step)
	}
	var sum int64
	for i := 0; i < 10; i++ {
		sum += <-c
	}
	parent <- sum
}

func BenchmarkChanSkynet(b *testing.B) {
	for _, p := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", p), func(b *testing.B) {
			withProcs(b, p)
			for i := 0; i < b.N; i++ {
				c := make(chan int64)
				go skynet(c, 0, 1000000)
				if s := <-c; s != 499999500000 {
					b.Fatal("wrong skynet sum", s)
				}
			}
		})
	}
}
