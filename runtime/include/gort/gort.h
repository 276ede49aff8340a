// gort/gort.h — the whole public API.
#pragma once
#include "gort/runtime.h"
#include "gort/syscall.h"
#include "gort/time.h"
