# Regenerates the sample city into WORK_DIR and compares it with the committed copy in COMMITTED_DIR.
# SPDX-License-Identifier: MIT
foreach(var GENERATOR COMMITTED_DIR WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_reproducible.cmake: pass -D${var}=...")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND "${GENERATOR}" "${WORK_DIR}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${GENERATOR} ${WORK_DIR} failed (exit ${status})")
endif()

execute_process(COMMAND "${GENERATOR}" --compare "${COMMITTED_DIR}" "${WORK_DIR}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the regenerated sample city in ${WORK_DIR} differs from ${COMMITTED_DIR}; "
                      "if the generator changed on purpose, regenerate the committed copy with "
                      "`shadegap_sample_city --overwrite sample-rasters` (see sample-rasters/README.md)")
endif()
file(REMOVE_RECURSE "${WORK_DIR}")
