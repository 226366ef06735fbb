# Runs one libFuzzer binary for SECONDS over a scratch copy of CORPUS, so
# the committed seeds are never modified. Crash reproducers land in WORK.
#   cmake -DFUZZER=... -DCORPUS=... -DWORK=... -DSECONDS=30 [-DMAX_LEN=N] -P run_fuzzer.cmake
set(max_len)
if(MAX_LEN)
  set(max_len -max_len=${MAX_LEN})
endif()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB seeds ${CORPUS}/*)
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -print_final_stats=1 ${max_len}
          -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); reproducers in ${WORK}/artifacts")
endif()
