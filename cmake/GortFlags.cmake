# gort_target_flags(target) — the one place where warnings, sanitizers and
# frame-pointer settings are applied. Conflicting choices fail at configure
# time rather than producing a build that means nothing.

if(GORT_SANITIZE STREQUAL "asan")
  set(_gort_san -fsanitize=address,undefined -fno-sanitize-recover=undefined
                -fno-omit-frame-pointer)
  add_compile_definitions(GORT_ASAN=1)
elseif(GORT_SANITIZE STREQUAL "tsan")
  set(_gort_san -fsanitize=thread -fno-omit-frame-pointer)
  add_compile_definitions(GORT_TSAN=1)
elseif(NOT GORT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "GORT_SANITIZE='${GORT_SANITIZE}': expected '', 'asan' or 'tsan'")
endif()

if(GORT_SANITIZE AND CMAKE_BUILD_TYPE STREQUAL "Release" AND GORT_FRAME_POINTERS)
  message(FATAL_ERROR "the bench flavour (frame pointers, Release) cannot be combined with a sanitizer")
endif()

function(gort_target_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>)
  if(_gort_san)
    target_compile_options(${target} PRIVATE ${_gort_san})
    target_link_options(${target} PRIVATE ${_gort_san})
  endif()
  if(GORT_FRAME_POINTERS)
    target_compile_options(${target} PRIVATE -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer)
  endif()
endfunction()

# gort_test(name sources... [LABELS labels...]) — a GoogleTest executable
# registered with CTest. Tests labelled "runtime" are re-run under the
# sanitizer flavours by scripts/test.sh. All tests share one precompiled
# header (GoogleTest and common standard headers), built once per flavour:
# on a 2-core machine it saves most of each test's compile time.
function(gort_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LABELS;LIBS" ${ARGN})
  if(NOT TARGET gort_test_pch)
    add_library(gort_test_pch OBJECT ${PROJECT_SOURCE_DIR}/cmake/test_pch.cc)
    gort_target_flags(gort_test_pch)
    target_link_libraries(gort_test_pch PRIVATE GTest::gtest)
    target_precompile_headers(gort_test_pch PRIVATE
      <gtest/gtest.h> <atomic> <chrono> <functional> <map> <mutex> <set> <string> <thread> <vector>)
  endif()
  add_executable(${name} ${T_SOURCES})
  gort_target_flags(${name})
  target_precompile_headers(${name} REUSE_FROM gort_test_pch)
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 600)
endfunction()
