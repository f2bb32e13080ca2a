# libFuzzer harnesses (tests/fuzz/README.md), included by the top-level CMakeLists.txt when
# RONDA_FUZZ is on: there every target, libronda included, is built with clang and
# -fsanitize=fuzzer-no-link,address,undefined; the harnesses link libFuzzer's runtime.
# One ctest test per harness runs it for RONDA_FUZZ_SECONDS on its seed corpus.
set(RONDA_FUZZ_SECONDS 60 CACHE STRING "seconds each fuzz_* ctest test runs its harness")
set(RONDA_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/tests/fuzz)

add_library(ronda-fuzz-common STATIC ${RONDA_FUZZ_DIR}/fuzz_common.c)
target_include_directories(ronda-fuzz-common PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src ${RONDA_FUZZ_DIR})
target_compile_options(ronda-fuzz-common PRIVATE ${RONDA_WARNINGS})
target_compile_definitions(ronda-fuzz-common PUBLIC _POSIX_C_SOURCE=200809L)
target_link_libraries(ronda-fuzz-common PUBLIC ronda)

function(ronda_fuzz name)
  cmake_parse_arguments(F "" "" "SOURCES;DEFINES;LIBS" ${ARGN})
  add_executable(fuzz_${name} ${F_SOURCES})
  target_compile_options(fuzz_${name} PRIVATE ${RONDA_WARNINGS})
  target_compile_definitions(fuzz_${name} PRIVATE ${F_DEFINES})
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_${name} PRIVATE ronda-fuzz-common ${F_LIBS})
  add_test(NAME fuzz_${name} COMMAND bash ${RONDA_FUZZ_DIR}/run.sh --bin $<TARGET_FILE:fuzz_${name}> ${name}
                                     ${RONDA_FUZZ_SECONDS})
  math(EXPR limit "${RONDA_FUZZ_SECONDS} + 120")
  set_tests_properties(fuzz_${name} PROPERTIES TIMEOUT ${limit} LABELS fuzz)
endfunction()

ronda_fuzz(record SOURCES ${RONDA_FUZZ_DIR}/fuzz_record.c)
foreach(kind dialogue resolution amend member revoke checkpoint)
  string(TOUPPER ${kind} KIND)
  ronda_fuzz(body_${kind} SOURCES ${RONDA_FUZZ_DIR}/fuzz_body.c DEFINES FUZZ_KIND=RONDA_KIND_${KIND})
endforeach()
ronda_fuzz(bundle SOURCES ${RONDA_FUZZ_DIR}/fuzz_bundle.c)
ronda_fuzz(sync SOURCES ${RONDA_FUZZ_DIR}/fuzz_sync.c)
ronda_fuzz(proof SOURCES ${RONDA_FUZZ_DIR}/fuzz_proof.c)
ronda_fuzz(ini SOURCES ${RONDA_FUZZ_DIR}/fuzz_ini.c src/cli/config.c src/cli/util.c LIBS PkgConfig::INIH)
# http.c is compiled into its harness (its checks are static); the embedded assets beside it.
ronda_fuzz(http SOURCES ${RONDA_FUZZ_DIR}/fuzz_http.c ${CMAKE_CURRENT_BINARY_DIR}/http_assets.c
           LIBS PkgConfig::MHD)

# Writes the seed corpora (tests/fuzz/corpus) from the harnesses' own ledger and
# proto/vectors.json: fuzz_seeds DIR.
add_executable(fuzz_seeds ${RONDA_FUZZ_DIR}/seeds.c)
target_compile_options(fuzz_seeds PRIVATE ${RONDA_WARNINGS})
target_link_libraries(fuzz_seeds PRIVATE ronda-fuzz-common)
