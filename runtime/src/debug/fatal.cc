// fatal.cc — see fatal.h. Nothing here allocates or takes a lock.
#include "debug/fatal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cstddef>

namespace gort::debug {

void write_stderr(const char* s) {
  std::size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

void fatal(const char* msg) {
  write_stderr("fatal error: ");
  write_stderr(msg);
  write_stderr("\n");
  _exit(2);
}

void fatalf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);  // formats into the stack buffer only
  va_end(ap);
  fatal(buf);
}

}  // namespace gort::debug
