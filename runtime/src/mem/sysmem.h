// sysmem.h — the allocator's only door to the OS (Go's mem_linux.go).
//
// Address space goes through four states, as in Go:
//   None --reserve--> Reserved (PROT_NONE, no RSS, no commit charge)
//   Reserved --commit--> Ready (read/write; pages appear in RSS when touched)
//   Ready --release--> Ready but returned (MADV_DONTNEED: RSS drops, the next
//                      touch faults in a zero page)
//   Ready/Reserved --unmap--> None
// Fresh committed pages and released pages both read as zero; the page
// allocator relies on it to skip zeroing (see pagealloc.h, "scavenged").
// Failures are fatal ("out of memory"): the allocator cannot continue.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gort::mem::sys {

// reserve returns `bytes` of PROT_NONE address space aligned to `align`
// (a power of two >= the OS page), or nullptr when the OS refuses.
void* reserve(std::size_t bytes, std::size_t align);
// commit makes [p, p+bytes) readable and writable. Fatal on failure.
void commit(void* p, std::size_t bytes);
// release hands the physical pages of [p, p+bytes) back to the OS; the
// range stays usable and reads as zero afterwards.
void release(void* p, std::size_t bytes);
// unmap returns the range to the OS entirely.
void unmap(void* p, std::size_t bytes);
// alloc_metadata returns zeroed, committed memory for allocator metadata
// (arena maps, span structs, mcaches) that is never freed. Fatal on failure.
void* alloc_metadata(std::size_t bytes);

}  // namespace gort::mem::sys
