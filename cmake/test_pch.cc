// test_pch.cc — the one translation unit that builds the tests' precompiled
// header (GoogleTest and the standard headers every test includes); each
// test target reuses it (gort_test in GortFlags.cmake).
#include <gtest/gtest.h>
