# Included by tests/CMakeLists.txt after simd_tests exists. Reruns the
# memcpy kernels' dispatcher tests once per x86-64 kernel with
# VM_FORCE_MEMCPY=<kernel>: the hidden [forced] test checks that the variable
# made its kernel the active one (or, on a CPU without it, that the best
# kernel stayed active with a one-line error), and [dispatched] checks
# vm::simd::copy/move/set, now going through the forced kernel, against the
# byte loop. Every kernel's own sweeps already run in the plain simd_tests
# run, so the reruns take only these two tests. --warn NoTests fails a rerun
# whose filter matches nothing.
#
# The NEON kernel is checked by ci/neon (cross-compiled, run under
# qemu-aarch64): a native AArch64 build forces neon and scalar here instead.
if(NOT TARGET simd_tests)
  return()
endif()
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(_vm_forced_kernels avx512 avx2 sse2 scalar)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(_vm_forced_kernels neon scalar)
else()
  set(_vm_forced_kernels scalar)
endif()
foreach(kernel IN LISTS _vm_forced_kernels)
  set(_name "simd:VM_FORCE_MEMCPY=${kernel} selects ${kernel} and the dispatched calls match the byte loop")
  add_test(NAME "${_name}" COMMAND simd_tests "[forced],[dispatched]" --warn NoTests)
  set_tests_properties("${_name}" PROPERTIES
    ENVIRONMENT "VM_FORCE_MEMCPY=${kernel};ASAN_OPTIONS=detect_leaks=1"
    # On a CPU without the kernel, [forced] checks the fallback and warns
    # "not run: ...": CTest then reports the rerun as skipped, not passed.
    SKIP_REGULAR_EXPRESSION "not run: VM_FORCE_MEMCPY=")
endforeach()
